//! A pool of sessions: `Session::run` needs `&mut self`, so concurrent
//! requests each borrow their own session instead of queueing on one mutex.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};

use ort::session::Session;

pub struct SessionPool {
    idle: Mutex<Vec<Session>>,
    returned: Condvar,
}

pub struct Lease<'a> {
    pool: &'a SessionPool,
    session: Option<Session>,
}

impl SessionPool {
    pub fn new(sessions: Vec<Session>) -> SessionPool {
        SessionPool {
            idle: Mutex::new(sessions),
            returned: Condvar::new(),
        }
    }

    /// Blocks until a session is free.
    pub fn take(&self) -> Lease<'_> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(session) = idle.pop() {
                return Lease {
                    pool: self,
                    session: Some(session),
                };
            }
            idle = self.returned.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Deref for Lease<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        self.session
            .as_ref()
            .expect("leased session present until drop")
    }
}

impl DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("leased session present until drop")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
            idle.push(session);
            self.pool.returned.notify_one();
        }
    }
}
