//! `wx.tmSDK.deleteProfile()` (docs/contract.md, personal data): the player erases everything the backend
//! holds about them in this app (`DELETE /v1/profile`), then the SDK forgets its record, its session and the
//! pending figures. It does not log in again by itself: the next `login()` or `updateUserProfile()` creates a
//! new player. Offline or refused, the local record stays, so the player can try again.

use std::rc::Rc;

use super::{no_login_error, Call, Inner, Outcome, Sdk};
use crate::answer::{Answer, Endpoint};
use crate::error::Result;
use crate::flight::Flight;
use crate::host::Host;
use crate::wire::PROFILE_PATH;

impl<H: Host + 'static> Sdk<H> {
    /// `wx.tmSDK.deleteProfile()`: the session (the cached one, else a login), `DELETE /v1/profile` (a 401
    /// logs in once and asks once more), then the record and the pending figures removed. Concurrent calls
    /// share the one in flight; a failure leaves the record intact and in `error.cached`.
    pub fn delete_profile(&self) -> Call<()> {
        let inner = &self.inner;
        let cached = inner.read_record().map(|r| r.profile.clone());
        if inner.config.no_login {
            return Call::Ready(Err(inner.fail(no_login_error(), cached)));
        }
        if let Some(running) = inner.erase.borrow().as_ref() {
            return Call::InFlight(running.clone());
        }
        let flight = Flight::new();
        inner.erase.replace(Some(flight.clone()));
        let this = inner.clone();
        let done = flight.clone();
        inner.host.spawn(Box::pin(async move {
            let result: Outcome<()> = this.run_erase().await.map_err(|e| this.fail(e, cached));
            this.erase.replace(None);
            done.complete(result);
        }));
        Call::InFlight(flight)
    }
}

impl<H: Host + 'static> Inner<H> {
    async fn run_erase(self: &Rc<Self>) -> Result<()> {
        let jwt = self.session().await?;
        let (answer, _) = self
            .post_with_session(PROFILE_PATH, "", jwt, Endpoint::Erase, Endpoint::EraseRetry)
            .await?;
        match answer {
            // `read_done` reads no profile: `{ err: 0 }` is the erasure done.
            Answer::Done | Answer::Profile(_) => {
                self.forget_figures();
                self.remove_record();
                Ok(())
            }
            Answer::Unauthorized(e) | Answer::Failed(e) => Err(e),
        }
    }
}
