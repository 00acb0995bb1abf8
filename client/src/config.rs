//! The stored login (`imagegram login`): the API address, the token and the username, in the
//! user's config dir (`~/.config/imagegram/login.json` on Linux; `XDG_CONFIG_HOME` moves it),
//! readable by the user alone (mode 0600). Upload states live in the cache dir.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub api: String,
    pub token: String,
    pub username: String,
}

#[derive(Debug, Clone)]
pub struct Dirs {
    pub config: PathBuf,
    pub cache: PathBuf,
}

impl Dirs {
    /// The platform's directories for Imagegram (XDG on Linux).
    pub fn for_user() -> Result<Self> {
        let dirs = directories::ProjectDirs::from("", "", "imagegram")
            .ok_or_else(|| Error::Other("no home directory to keep the login in".into()))?;
        Ok(Dirs {
            config: dirs.config_dir().to_path_buf(),
            cache: dirs.cache_dir().to_path_buf(),
        })
    }

    pub fn login_file(&self) -> PathBuf {
        self.config.join("login.json")
    }

    pub fn uploads(&self) -> PathBuf {
        self.cache.join("uploads")
    }

    pub fn load_login(&self) -> Option<Login> {
        let text = std::fs::read(self.login_file()).ok()?;
        serde_json::from_slice(&text).ok()
    }

    pub fn save_login(&self, login: &Login) -> Result<()> {
        let path = self.login_file();
        std::fs::create_dir_all(&self.config)
            .map_err(|err| Error::io(&format!("creating {}", self.config.display()), err))?;
        let text = serde_json::to_vec_pretty(login).map_err(|err| Error::Other(err.to_string()))?;
        write_private(&path, &text)
            .map_err(|err| Error::io(&format!("writing {}", path.display()), err))
    }
}

/// Writes a file only its owner may read, also when it existed with a wider mode.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)
    }
    #[cfg(not(unix))]
    {
        options.open(path)?.write_all(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_is_stored_for_the_user_alone() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = Dirs {
            config: dir.path().join("config"),
            cache: dir.path().join("cache"),
        };
        assert_eq!(dirs.load_login(), None);
        let login = Login {
            api: "http://127.0.0.1:8080".into(),
            token: "t".into(),
            username: "alice".into(),
        };
        dirs.save_login(&login).unwrap();
        assert_eq!(dirs.load_login(), Some(login));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dirs.login_file())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
