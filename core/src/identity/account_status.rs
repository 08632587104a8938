//! Whether an account can be used (`accounts.status`), apart from `accounts` so that
//! sessions, API keys and sign-in identities can check it without depending on sign-up and
//! login.

heepr_compliance::stored_state! {
    /// Whether an account can be used (`accounts.status`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum AccountStatus: "account status" {
        /// Signed up and usable.
        Active = "active",
        /// Erased (pseudonymised): nobody can sign in, sessions and keys stop working.
        Closed = "closed",
    }
}
