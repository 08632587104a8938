//! Every route of the admin API, with who may call it, what it reads and what it answers.
//! `docs/admin-api.md`'s endpoint table is checked against [`ROUTES`] by a test, and the
//! end-to-end tests call every route of a real server and read each answer strictly as
//! the type named here.

/// An HTTP method of the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// A read; any staff role may call it.
    Get,
    /// An action (or a dry run); audited like every call.
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Any staff role (support sees emails masked).
    Any,
    /// Privacy officers only; support gets 403 `forbidden`.
    Officer,
}

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// Its method.
    pub method: Method,
    /// Its path after [`crate::API_PREFIX`], placeholders as the server's router spells
    /// them (`/requests/{id}`).
    pub path: &'static str,
    /// The query type, for a route that takes query parameters.
    pub query: Option<&'static str>,
    /// Who may call it.
    pub access: Access,
    /// The request body's type, for a route that reads one.
    pub body: Option<&'static str>,
    /// The HTTP status of success.
    pub status: u16,
    /// The type of the success answer.
    pub answer: &'static str,
}

impl Route {
    /// `GET /requests/{id}`: how the audit trail names the call (with the prefix) and how
    /// the doc's table names it (without).
    pub fn name(&self) -> String {
        format!("{} {}", self.method.as_str(), self.path)
    }
}

/// The name of a wire type, checked at compile time to be one (re-exported at the crate
/// root), so [`ROUTES`] cannot name a type that does not exist.
macro_rules! ty {
    ($t:ident) => {{
        let _: ::core::marker::PhantomData<crate::$t> = ::core::marker::PhantomData;
        stringify!($t)
    }};
}

const fn get(path: &'static str, answer: &'static str) -> Route {
    Route {
        method: Method::Get,
        path,
        query: None,
        access: Access::Any,
        body: None,
        status: 200,
        answer,
    }
}

const fn post(
    path: &'static str,
    body: Option<&'static str>,
    status: u16,
    answer: &'static str,
) -> Route {
    Route {
        method: Method::Post,
        path,
        query: None,
        access: Access::Officer,
        body,
        status,
        answer,
    }
}

const fn with_query(route: Route, query: &'static str) -> Route {
    Route {
        query: Some(query),
        ..route
    }
}

/// Every route, in the order of the doc's table.
pub const ROUTES: &[Route] = &[
    get("/me", ty!(Me)),
    with_query(get("/requests", ty!(RequestList)), ty!(RequestsQuery)),
    post("/requests", Some(ty!(CreateRequest)), 201, ty!(Request)),
    get("/requests/{id}", ty!(RequestDetail)),
    post(
        "/requests/{id}/transition",
        Some(ty!(Transition)),
        200,
        ty!(Request),
    ),
    post(
        "/requests/{id}/extend",
        Some(ty!(Extension)),
        200,
        ty!(Request),
    ),
    post("/requests/{id}/export", None, 202, ty!(Request)),
    get("/requests/{id}/erasure/preview", ty!(ErasurePreview)),
    post("/requests/{id}/erasure", None, 202, ty!(Request)),
    post("/requests/{id}/notes", Some(ty!(NoteBody)), 201, ty!(Note)),
    with_query(get("/accounts", ty!(Account)), ty!(AccountsQuery)),
    get("/accounts/{id}", ty!(Account)),
    post(
        "/accounts/{id}/rectify",
        Some(ty!(Rectify)),
        200,
        ty!(Rectified),
    ),
    post(
        "/accounts/{id}/restriction",
        Some(ty!(PlaceRestriction)),
        201,
        ty!(Restriction),
    ),
    post(
        "/restrictions/{id}/lift",
        Some(ty!(Reason)),
        200,
        ty!(Restriction),
    ),
    post(
        "/accounts/{id}/objection",
        Some(ty!(PlaceObjection)),
        201,
        ty!(Objection),
    ),
    post(
        "/objections/{id}/withdraw",
        Some(ty!(Reason)),
        200,
        ty!(Objection),
    ),
    with_query(get("/analytics", ty!(AnalyticsReport)), ty!(AnalyticsQuery)),
    get("/accounts/{id}/holds", ty!(HoldList)),
    post("/accounts/{id}/holds", Some(ty!(Reason)), 201, ty!(Hold)),
    post("/holds/{id}/lift", Some(ty!(Reason)), 200, ty!(HoldLifted)),
    post(
        "/accounts/{id}/child-flag",
        Some(ty!(ChildFlag)),
        202,
        ty!(Request),
    ),
    with_query(get("/intake", ty!(IntakeList)), ty!(IntakeQuery)),
    post(
        "/intake/{id}/classify",
        Some(ty!(Classify)),
        201,
        ty!(Request),
    ),
    with_query(get("/audit", ty!(AuditList)), ty!(AuditQuery)),
    get("/audit/verify", ty!(ChainVerification)),
    get("/retention/rules", ty!(RuleList)),
    post("/retention/rules/{rule}/dry-run", None, 200, ty!(DryRun)),
    get("/backups", ty!(BackupList)),
];
