//! The store's methods on [`Store`] itself: each takes a connection of the pool and, for
//! the writes that need one, its own transaction. A use case that makes several changes
//! uses [`Store::begin`] and the same methods on [`Tx`] instead, so that they commit together.

use crate::{
    ActionId, ActionInput, ActionTrack, Answer, AnswerInput, ApiToken, Assessment, AssessmentId,
    AuditEntry, AuditFilter, CriterionId, EmailDomain, Evidence, EvidenceFile, EvidenceId, Finding,
    Invitation, KevList, LoginFailures, Member, NewApiToken, NewAssessment, NewAuditEntry,
    NewEvidence, NewOrganization, NewSession, NewUser, OffsetDateTime, OneTimeLink, OrgId,
    Organization, OrganizationUpdate, Result, Role, ScannedHost, Session, SsoLogin, Store, TokenId,
    User, UserId, Visit,
};

/// `auto fn`: on a pooled connection; `tx fn`: in a transaction of its own.
macro_rules! one_shot {
    ($($kind:ident fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        impl Store {
            $(one_shot!(@ $kind $name($($arg: $ty),*) -> $ret);)*
        }
    };
    (@ auto $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        #[doc = concat!("[`Conn::", stringify!($name), "`] on a connection of the pool.")]
        pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
            self.conn().await?.$name($($arg),*).await
        }
    };
    (@ tx $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        #[doc = concat!("[`Conn::", stringify!($name), "`] in a transaction of its own.")]
        pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
            let mut tx = self.begin().await?;
            let out = tx.$name($($arg),*).await?;
            tx.commit().await?;
            Ok(out)
        }
    };
}

one_shot! {
    tx fn create_user(new: &NewUser<'_>) -> User;
    auto fn user(id: &UserId) -> Option<User>;
    auto fn user_by_email(email: &str) -> Option<User>;
    auto fn count_users() -> u64;
    auto fn list_users() -> Vec<User>;
    tx fn set_password_hash(id: &UserId, password_hash: &str, must_change: bool, by: &UserId) -> ();
    tx fn set_user_disabled(id: &UserId, disabled: bool, by: &UserId) -> ();
    auto fn set_totp_pending(id: &UserId, secret: Option<&str>) -> ();
    auto fn use_totp_step(id: &UserId, step: i64) -> bool;
    auto fn use_recovery_code(id: &UserId, code_hash: &str) -> bool;
    auto fn recovery_codes_left(id: &UserId) -> u64;
    auto fn complete_mfa(id_hash: &str) -> ();
    tx fn enable_totp(id: &UserId, secret: &str, step: i64, recovery_hashes: &[String]) -> ();
    tx fn disable_totp(id: &UserId, by: &UserId) -> ();
    tx fn set_require_mfa(org: &OrgId, required: bool, by: &UserId) -> ();
    tx fn invite(org: &OrgId, email: &str, role: Role, by: &UserId) -> ();
    auto fn email_domains(org: &OrgId) -> Vec<EmailDomain>;
    auto fn scan_findings(org: &OrgId) -> Vec<Finding>;
    auto fn scanned_hosts(org: &OrgId) -> Vec<ScannedHost>;
    tx fn replace_host_findings(org: &OrgId, host: &ScannedHost, findings: &[Finding]) -> u64;
    auto fn kev_list(org: &OrgId) -> Option<KevList>;
    tx fn replace_kev_list(org: &OrgId, list: &KevList) -> (u64, usize);
    tx fn save_email_domain(org: &OrgId, domain: &str, dkim_selectors: &[String], by: &UserId) -> bool;
    tx fn remove_email_domain(org: &OrgId, domain: &str, by: &UserId) -> bool;
    tx fn record_email_check(org: &OrgId, domain: &str, check_json: &str, summary: &str, by: &UserId) -> bool;
    tx fn take_invitation(org: &OrgId, email: &str) -> Option<Invitation>;
    tx fn withdraw_invitation(org: &OrgId, email: &str, by: &UserId) -> Option<Invitation>;
    auto fn invitations_for_org(org: &OrgId) -> Vec<Invitation>;
    auto fn invitations_for_email(email: &str) -> Vec<(Invitation, String)>;
    tx fn create_organization(new: &NewOrganization<'_>, creator: &UserId) -> Organization;
    auto fn organization(id: &OrgId) -> Option<Organization>;
    auto fn list_organizations() -> Vec<Organization>;
    auto fn organizations_for_user(user: &UserId) -> Vec<(Organization, Role)>;
    tx fn update_organization(id: &OrgId, update: &OrganizationUpdate<'_>, by: &UserId) -> Organization;
    tx fn grant_role(org: &OrgId, user: &UserId, role: Role, by: &UserId) -> ();
    tx fn revoke_role(org: &OrgId, user: &UserId, by: &UserId) -> bool;
    auto fn role_of(user: &UserId, org: &OrgId) -> Option<Role>;
    auto fn members(org: &OrgId) -> Vec<Member>;
    auto fn parent_of(site: &OrgId) -> Option<Organization>;
    auto fn sites_of(parent: &OrgId) -> Vec<Organization>;
    auto fn last_change(org: &OrgId) -> Option<OffsetDateTime>;
    tx fn set_parent(site: &OrgId, parent: Option<&OrgId>, by: &UserId) -> ();
    auto fn create_session(new: &NewSession<'_>) -> Session;
    auto fn session(id_hash: &str, now: OffsetDateTime) -> Option<Session>;
    auto fn visit(id_hash: &str, now: OffsetDateTime, org: Option<&OrgId>) -> Option<Visit>;
    auto fn touch_session(id_hash: &str, now: OffsetDateTime, expires_at: OffsetDateTime) -> bool;
    auto fn delete_session(id_hash: &str) -> bool;
    auto fn delete_user_sessions(user: &UserId, except: Option<&str>) -> u64;
    auto fn delete_expired_sessions(now: OffsetDateTime) -> u64;
    auto fn create_sso_login(new: &SsoLogin) -> ();
    auto fn one_time_link(token_hash: &str) -> Option<OneTimeLink>;
    auto fn delete_one_time_link(token_hash: &str) -> bool;
    auto fn prune_one_time_links(before: OffsetDateTime) -> u64;
    tx fn create_one_time_link(link: &OneTimeLink) -> ();
    tx fn use_one_time_link(token_hash: &str, now: OffsetDateTime) -> Option<OneTimeLink>;
    tx fn withdraw_join_links(org: &OrgId, email: &str, at: OffsetDateTime) -> u64;
    auto fn take_sso_login(state_hash: &str) -> Option<SsoLogin>;
    auto fn prune_sso_logins(now: OffsetDateTime) -> u64;
    auto fn user_by_identity(provider: &str, subject: &str) -> Option<User>;
    auto fn identities_of(user: &UserId) -> Vec<String>;
    auto fn record_login_failure(key: &str, at: OffsetDateTime) -> i64;
    auto fn login_failures(key: &str, since: OffsetDateTime) -> LoginFailures;
    auto fn delete_login_failure(id: i64) -> ();
    auto fn clear_login_failures(key: &str) -> u64;
    auto fn prune_login_failures(before: OffsetDateTime) -> u64;
    tx fn create_assessment(new: &NewAssessment<'_>) -> Assessment;
    auto fn assessment(id: &AssessmentId) -> Option<Assessment>;
    auto fn assessments_for_org(org: &OrgId) -> Vec<Assessment>;
    auto fn current_assessment(org: &OrgId) -> Option<Assessment>;
    tx fn close_assessment(id: &AssessmentId, snapshot_json: &str, by: &UserId) -> Assessment;
    tx fn set_sub_practice(assessment: &AssessmentId, sub_practice_id: &str, opted_in: bool, by: &UserId) -> bool;
    tx fn copy_answers(from: &AssessmentId, to: &AssessmentId, by: &UserId) -> u64;
    auto fn opted_in_sub_practices(assessment: &AssessmentId) -> Vec<String>;
    tx fn save_answer(assessment: &AssessmentId, criterion_id: &CriterionId, input: &AnswerInput, by: &UserId, expected_version: i64) -> Answer;
    auto fn answer(assessment: &AssessmentId, criterion_id: &CriterionId) -> Option<Answer>;
    auto fn answers(assessment: &AssessmentId) -> Vec<Answer>;
    tx fn add_evidence(new: &NewEvidence<'_>) -> Evidence;
    auto fn evidence(id: &EvidenceId) -> Option<Evidence>;
    auto fn evidence_for_assessment(assessment: &AssessmentId) -> Vec<Evidence>;
    auto fn evidence_for_criterion(assessment: &AssessmentId, criterion_id: &CriterionId) -> Vec<Evidence>;
    auto fn evidence_file(id: &EvidenceId) -> Option<EvidenceFile>;
    tx fn delete_evidence(id: &EvidenceId, by: &UserId) -> bool;
    tx fn save_action(org: &OrgId, action_id: &ActionId, input: &ActionInput, by: &UserId, expected_version: i64) -> ActionTrack;
    auto fn action(org: &OrgId, action_id: &ActionId) -> Option<ActionTrack>;
    auto fn actions(org: &OrgId) -> Vec<ActionTrack>;
    auto fn api_tokens(user: &UserId) -> Vec<ApiToken>;
    auto fn api_token_by_hash(token_hash: &str) -> Option<(ApiToken, User)>;
    auto fn touch_api_token(id: &TokenId, at: OffsetDateTime) -> ();
    tx fn create_api_token(new: &NewApiToken<'_>, by: Option<&UserId>) -> ApiToken;
    tx fn delete_api_token(user: &UserId, id: &TokenId) -> bool;
    tx fn set_threat_weights(id: &OrgId, weights_json: Option<&str>, by: &UserId) -> ();
    auto fn record_audit(entry: &NewAuditEntry<'_>) -> AuditEntry;
    auto fn audit_log(filter: &AuditFilter<'_>) -> Vec<AuditEntry>;
}
