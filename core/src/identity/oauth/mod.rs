//! Sign-in with Google, GitHub and Facebook (OAuth 2.0 authorization code flow with PKCE;
//! Google through its OpenID Connect endpoints). Policy: "if you sign in via Google,
//! GitHub, or Facebook, the basic profile fields those providers return to us".
//!
//! - [`provider`]: the providers, their scopes, and reading their profile response.
//! - [`flow`]: starting a round trip (state + PKCE) and handling the callback: state checked
//!   against the browser's cookie and used once, code exchanged once, then sign-in, linking,
//!   or a sign-up that still asks for the 16+ confirmation.
//! - [`identities`]: the `sign_in_identities` of an account.
//! - [`mailed_signup`]: a sign-up with an address the provider did not vouch for, waiting
//!   for the link mailed to it.
//! - `provider_account`: creating the account of either kind of sign-up.
//!
//! May use `platform` and `identity::accounts` (a provider sign-up is an account sign-up).

pub mod flow;
pub mod identities;
pub mod mailed_signup;
pub mod provider;
mod provider_account;

pub use provider::Provider;
