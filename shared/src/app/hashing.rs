//! Password hashing on a few threads of its own, one per core (at most 4).
//!
//! Each Argon2id hash takes 19 MiB of memory and tens of milliseconds of a core. On tokio's
//! blocking pool (up to 512 threads, shared with SQLite and file reads) a burst of sign-ups or
//! logins ran one hash per thread at once: every thread's allocator arena kept its 19 MiB
//! afterwards (the server grew to about 1 GB after 2,000 sign-ups, measured with bench/load.sh),
//! and the hashes took the blocking threads the store needs. Here at most one hash runs per core,
//! the others wait in line, and memory stays at a few arenas' worth.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use super::{AppError, AppResult};

type Job = Box<dyn FnOnce() + Send>;

fn pool() -> &'static Mutex<Sender<Job>> {
    static POOL: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        for i in 0..threads {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&queue));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        Mutex::new(jobs)
    })
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, not while running it.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Runs `f` (a hash or a verification) on the hashing threads and waits for its result.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(f());
    });
    pool()
        .lock()
        .map_err(|_| AppError::Internal("the password hashing queue is poisoned".into()))?
        .send(job)
        .map_err(|_| AppError::Internal("no password hashing thread is running".into()))?;
    result
        .await
        .map_err(|_| AppError::Internal("a password hashing job was dropped".into()))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn jobs_run_off_the_runtime_and_answer_in_their_own_order() {
        let runtime_thread = std::thread::current().id();
        let answers = futures_util::future::join_all((0..16).map(|i| {
            super::run(move || {
                std::thread::sleep(std::time::Duration::from_millis(2));
                (i, std::thread::current().name().map(str::to_owned))
            })
        }))
        .await;
        for (i, answer) in answers.into_iter().enumerate() {
            let (n, name) = answer.unwrap();
            assert_eq!(n, i);
            assert!(name.unwrap().starts_with("argon2-"));
        }
        assert_eq!(std::thread::current().id(), runtime_thread);
    }
}
