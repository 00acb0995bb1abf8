//! The app shell: header navigation (Admin only for admins) and the routes.

import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { useSession } from './auth/session';
import { LoginPage, SignupPage } from './pages/Auth';
import { FeedPage } from './pages/Feed';
import { PostPage } from './pages/PostPage';
import { NewPostPage } from './pages/NewPost';
import { LibraryPage } from './pages/Library';
import { AdminPage } from './pages/Admin';

function NavLink({ href, children }: { href: string; children: string }) {
  const [loc] = useLocation();
  const current = href === '/' ? loc === '/' : loc.startsWith(href);
  return (
    <Link href={href} aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export function Header() {
  const { user, logOut } = useSession();
  return (
    <header className="site-header">
      <a className="skip" href="#content">Skip to content</a>
      <div className="header-inner">
        <Link href="/" className="brand">Imagegram</Link>
        <nav aria-label="Main">
          {user ? (
            <>
              <NavLink href="/">Feed</NavLink>
              <NavLink href="/new">New post</NavLink>
              <NavLink href="/images">My images</NavLink>
              {user.role === 'admin' && <NavLink href="/admin">Admin</NavLink>}
            </>
          ) : (
            <>
              <NavLink href="/login">Log in</NavLink>
              <NavLink href="/signup">Sign up</NavLink>
            </>
          )}
        </nav>
        {user && (
          <div className="account">
            <span className="who">
              {user.username} <span className="tier-badge" title="Your tier">{user.tier}</span>
            </span>
            <button type="button" className="secondary small" onClick={logOut}>Log out</button>
          </div>
        )}
      </div>
    </header>
  );
}

export function App() {
  const { user, loading } = useSession();
  return (
    <>
      <Header />
      <div id="content" className="content" tabIndex={-1}>
        {loading ? (
          <main><p className="muted">Loading…</p></main>
        ) : !user ? (
          <Switch>
            <Route path="/signup" component={SignupPage} />
            <Route component={LoginPage} />
          </Switch>
        ) : (
          <Switch>
            <Route path="/login"><Redirect to="/" /></Route>
            <Route path="/signup"><Redirect to="/" /></Route>
            <Route path="/" component={FeedPage} />
            <Route path="/new" component={NewPostPage} />
            <Route path="/posts/:id">{(p) => <PostPage key={p.id} id={p.id} />}</Route>
            <Route path="/images" component={LibraryPage} />
            <Route path="/admin" component={AdminPage} />
            <Route><main><h1>Not found</h1><p><Link href="/">Back to the feed</Link></p></main></Route>
          </Switch>
        )}
      </div>
    </>
  );
}
