//! The access matrix: every route of the router (from its route table, not a hand-kept list),
//! for every role, aimed at records of a sibling community, another street and another
//! district. Nothing foreign may come back (canaries in every private field) and nothing
//! foreign may change; nobody widens their own grants; every change needs the CSRF token and
//! every answer carries the security headers.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use wushe_core::actor::{Grant, Role};
use wushe_core::audit::{Action, AuditEvent, RecordKind};
use wushe_core::ids::{GrantId, NeedId, OrgId, OutboxId, PersonId, TokenId, UserId, WebhookId};
use wushe_core::needs::tracking::TrackingCode;
use wushe_core::orgs::{Org, OrgKind};
use wushe_core::regions::RegionCode;
use wushe_core::tokens::ApiToken;
use wushe_core::users::{NewUser, password};

use crate::harness::*;

const XUHUI_COMMUNITY: &str = "310104003001";

/// Records planted in one foreign community.
struct Foreign {
    code: &'static str,
    user: UserId,
    grant: GrantId,
    org: OrgId,
    token: TokenId,
    /// A need of a resident there: its tracking code (the link's secret is not known).
    tracking: String,
    need: NeedId,
    /// Call-up, sign-up, volunteer, post, shift, booking and certificate there.
    vols: crate::volunteers::Planted,
    /// Volunteer tasks on that need: one offered to the planted volunteer, one accepted.
    tasks: crate::dispatch::PlantedTasks,
    /// A registry person there, with canaries in every sealed field.
    person: PersonId,
    canaries: Vec<String>,
    /// A webhook destination and a dead outbox row there.
    webhook: WebhookId,
    outbox: OutboxId,
}

async fn plant(app: &TestApp, code: &'static str) -> Foreign {
    let now = OffsetDateTime::now_utc();
    let region = RegionCode::parse(code).expect("code");
    let user_canary = format!("CANARY-USER-{code}");
    let user = NewUser {
        username: format!("foreign-{code}"),
        display_name: user_canary.clone(),
        region: region.clone(),
        grants: vec![Grant {
            role: Role::SocialWorker,
            region: region.clone(),
            org: None,
        }],
    };
    let event = AuditEvent::new(Action::UserCreated, now)
        .region(&region)
        .record(RecordKind::User, Vec::<String>::new());
    let hash = password::hash(PASSWORD).expect("hash");
    let user_id = app
        .state
        .store
        .insert_user(&user, &hash, now, &event)
        .await
        .expect("user");
    let grant = app.state.store.grants(user_id).await.expect("grants")[0].id;
    let org = Org {
        id: OrgId::new(),
        name: format!("公开机构-{code}"),
        kind: OrgKind::Provider,
        region: region.clone(),
        phone: Some("021-63000000".into()),
        address: None,
        description: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let event = AuditEvent::new(Action::OrgCreated, now)
        .region(&region)
        .record(RecordKind::Org, [org.id]);
    app.state.store.insert_org(&org, &event).await.expect("org");
    let token_canary = format!("CANARY-TOKEN-{code}");
    let token = ApiToken {
        id: TokenId::new(),
        user_id,
        name: token_canary.clone(),
        hint: "wst_CANA".into(),
        created_at: now,
        expires_at: now + time::Duration::days(30),
        last_used_at: None,
        revoked_at: None,
    };
    app.state
        .store
        .insert_token(
            &token,
            &format!("hash-{code}"),
            &AuditEvent::new(Action::TokenIssued, now).region(&region),
        )
        .await
        .expect("token");
    let tracking = crate::needs::plant_need(app, code, now).await;
    let need = app
        .state
        .store
        .need_by_code(&TrackingCode::parse(&tracking).expect("code"))
        .await
        .expect("need")
        .expect("planted")
        .id;
    let vols = crate::volunteers::plant(app, code).await;
    let tasks = crate::dispatch::plant(app, need, vols.volunteer, user_id).await;
    let mut canaries = vec![
        format!("CANARY-PERSON-{code}"),
        "13900007777".into(),
        format!("CANARY-HEALTH-{code}"),
        user_canary,
        token_canary,
        format!("CANARY-NEED-{code}"),
        format!("CANARY-RESIDENT-{code}"),
        "13800009999".into(),
    ];
    canaries.extend(vols.canaries.iter().cloned());
    let (webhook, outbox) = crate::notify::plant(app, code, need).await;
    Foreign {
        webhook,
        outbox,
        vols,
        tasks,
        code,
        user: user_id,
        grant,
        org: org.id,
        token: token.id,
        tracking,
        need,
        person: plant_person(app, code, now).await,
        canaries,
    }
}

/// A registry person in the foreign community, checked once.
async fn plant_person(app: &TestApp, code: &str, now: OffsetDateTime) -> PersonId {
    use wushe_core::people::record::{
        self, BasisKind, LawfulBasis, Person, PersonDetails, PersonStatus,
    };
    use wushe_core::people::{CareLevel, PersonCategory};
    let id = PersonId::new();
    let details = PersonDetails {
        name: format!("CANARY-PERSON-{code}"),
        id_number: None,
        phone: Some("13900007777".into()),
        address: format!("CANARY-ADDRESS-{code}"),
        categories: vec![PersonCategory::LivingAlone],
        health_notes: Some(format!("CANARY-HEALTH-{code}")),
        contact: None,
        birth_date: None,
    };
    let person = Person {
        id,
        region: RegionCode::parse(code).expect("code"),
        care_level: CareLevel::A,
        worker: None,
        basis: LawfulBasis {
            kind: BasisKind::StatutoryDuty,
            date: now.date(),
            notice_version: "v1".into(),
            sensitive_consent: false,
            guardian_consent: false,
        },
        status: PersonStatus::Active,
        sealed: record::seal(&app.state.cipher, id, &details).expect("seal"),
        next_due_at: now - time::Duration::days(2),
        last_check_at: None,
        closed_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = AuditEvent::new(Action::PersonCreated, now)
        .region(&person.region)
        .record(RecordKind::Person, [id]);
    app.state
        .store
        .insert_person(&person, &event)
        .await
        .expect("person");
    id
}

/// Everything about the foreign records that must not change.
async fn snapshot(app: &TestApp, f: &Foreign) -> String {
    let s = &app.state.store;
    let user = s.user(f.user).await.expect("user").expect("exists");
    let grants: Vec<String> = s
        .grants(f.user)
        .await
        .expect("grants")
        .iter()
        .map(|g| format!("{:?}", g.grant))
        .collect();
    let org = s.org(f.org).await.expect("org").expect("exists");
    let tokens: Vec<String> = s
        .tokens_of(f.user)
        .await
        .expect("tokens")
        .iter()
        .map(|t| format!("{}:{:?}", t.name, t.revoked_at))
        .collect();
    let places = s
        .region_children(Some(&RegionCode::parse(f.code).expect("code")))
        .await
        .expect("places")
        .len();
    let code = TrackingCode::parse(&f.tracking).expect("tracking code");
    let need = s.need_by_code(&code).await.expect("need").expect("exists");
    let vols = crate::volunteers::snapshot(app, &f.vols).await;
    let tasks = crate::dispatch::snapshot(app, &f.tasks).await;
    let dispatch_mode = s.org_dispatch_mode(f.org).await.expect("mode");
    let person = s.person(f.person).await.expect("person").expect("exists");
    let checks = s.checks_of(f.person, 100).await.expect("checks").len();
    let notify = crate::notify::snapshot(app, f.webhook, f.outbox).await;
    format!(
        "{} {} {} {grants:?} {} {} v{} {tokens:?} places={places} need={:?}/{}/{} {vols} \
         person={:?}/{}/{:?}/{:?} checks={checks} tasks={tasks} mode={dispatch_mode:?} {notify}",
        user.display_name,
        user.disabled,
        user.lang,
        org.name,
        org.region,
        org.version,
        need.state,
        need.version,
        need.updated_at,
        person.status,
        person.version,
        person.next_due_at,
        person.sealed,
    )
}

/// A concrete path for a route template, aimed at the foreign records.
fn aim(template: &str, f: &Foreign) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|i| open + i)
            .expect("closing brace");
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        let value = match (name, template) {
            ("code", _) => f.code.to_string(),
            ("tracking", _) => f.tracking.clone(),
            ("grant", _) => f.grant.to_string(),
            ("id", t) if t.contains("/orgs/") => f.org.to_string(),
            ("id", t) if t.contains("/users/") => f.user.to_string(),
            ("id", t) if t.contains("/tokens/") => f.token.to_string(),
            ("id", t) if t.contains("/needs/") => f.need.to_string(),
            ("id", t) if t.contains("/people/") => f.person.to_string(),
            ("id", t) if t.contains("/callups/") || t.contains("/campaigns/") => {
                f.vols.campaign.to_string()
            }
            ("id", t) if t.contains("/signups/") => f.vols.signup.to_string(),
            ("id", t) if t.starts_with("/posts/") => f.vols.post.to_string(),
            ("id", t) if t.starts_with("/shifts/") => f.vols.shift.to_string(),
            ("id", t) if t.starts_with("/bookings/") || t.starts_with("/me/bookings/") => {
                f.vols.booking.to_string()
            }
            ("id", t) if t.starts_with("/me/offers/") => f.tasks.offer.to_string(),
            ("id", t) if t.starts_with("/me/tasks/") => f.tasks.accepted.to_string(),
            ("id", t) if t.contains("/certificates/") => f.vols.certificate.clone(),
            ("id", t) if t.starts_with("/admin/outbox/") => f.outbox.to_string(),
            ("id", t) if t.starts_with("/admin/webhooks/") => f.webhook.to_string(),
            ("token", _) => "not-a-real-link-secret".to_string(),
            // Import jobs live in memory and belong to their uploader: a stranger's id.
            ("job", _) => uuid::Uuid::now_v7().to_string(),
            ("list", _) => "people".to_string(),
            ("format", _) => "csv".to_string(),
            _ => panic!(
                "the access matrix does not know what to put in {{{name}}} of {template}: add it"
            ),
        };
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The body, except for an event stream (it never ends; its events carry no data).
async fn body_unless_stream(res: reqwest::Response) -> String {
    let stream = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if stream {
        String::new()
    } else {
        text(res).await
    }
}

/// Fields a hostile client would send, all pointing abroad or upwards.
fn hostile_fields(f: &Foreign, path: &str) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = [
        ("name", "越界写入"),
        ("kind", "provider"),
        ("role", "admin"),
        ("username", "matrix-intruder"),
        ("display_name", "越界"),
        ("password", "a-long-enough-password-2026"),
        ("level", "grid"),
        ("days", "30"),
        ("lang", "en"),
        ("version", "1"),
        ("current_password", "wrong-password-here"),
        ("new_password", "another-long-password-2026"),
        ("new_password_again", "another-long-password-2026"),
        ("code", "123456"),
        ("reason", "matrix test"),
        ("q", "CANARY"),
        ("back", "/"),
        ("next", "/"),
        ("text", "越界留言"),
        ("outcome", "越界处理"),
        // The resident's forms on a tracking page, with a guessed link secret.
        ("info", "越界补充"),
        ("confirm", "yes"),
        (
            "k",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ),
        ("people", "5"),
        ("t", "0123456789abcdef0123456789abcdef"),
        ("password_again", "a-long-enough-password-2026"),
        ("field", "phone"),
        ("method", "phone"),
        ("reached", "no"),
        ("care_level", "A"),
        ("address", "越界地址"),
        ("categories", "dibao"),
        ("basis", "statutory_duty"),
        ("basis_date", "2026-01-01"),
        ("notice_version", "v1"),
        ("allow_duplicate", "on"),
        ("mode", "pool"),
        ("note", "越界完成"),
        ("task", "00000000-0000-7000-8000-000000000000"),
        ("url", "http://169.254.169.254/latest/meta-data"),
        ("kinds", "assigned"),
        // A number that belongs to nobody (codes asked for it are texted to no account).
        ("phone", "13700000001"),
        ("mobile", "13700000001"),
    ]
    .iter()
    .map(|(k, v)| (*k, v.to_string()))
    .collect();
    v.push(("region", f.code.to_string()));
    v.push(("org", f.org.to_string()));
    v.push(("user", f.user.to_string()));
    // The most harmful action each kind of form knows.
    let action = if path.starts_with("/needs/") {
        "cancel"
    } else {
        "no_show"
    };
    v.push(("action", action.to_string()));
    v.push(("to", f.user.to_string()));
    v.push(("of", f.tracking.clone()));
    v
}

/// The methods a path answers to, from the `Allow` header of a 405.
async fn methods(c: &TestClient, path: &str) -> Vec<Method> {
    let res = c
        .http
        .request(Method::OPTIONS, c.url(path))
        .send()
        .await
        .expect("options");
    assert_eq!(
        res.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "OPTIONS {path}: expected 405 with Allow"
    );
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut out: Vec<Method> = allow
        .split(',')
        .filter_map(|m| m.trim().parse().ok())
        .filter(|m| *m != Method::HEAD)
        .collect();
    out.sort_by_key(|m| m.to_string());
    assert!(!out.is_empty(), "{path} allows nothing: {allow}");
    out
}

async fn send(c: &mut TestClient, method: &Method, path: &str, f: &Foreign) -> reqwest::Response {
    if *method == Method::GET {
        return c.get(path).await;
    }
    let fields = hostile_fields(f, path);
    if path.starts_with("/api/") {
        let body: Value = fields
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        c.send_json(method.clone(), path, &body).await
    } else {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.post_form(path, &pairs).await
    }
}

fn check_headers(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    assert!(
        h.get("content-security-policy")
            .is_some_and(|v| v.to_str().unwrap_or("").contains("frame-ancestors 'none'")),
        "{what}: CSP"
    );
    assert_eq!(
        h.get("x-content-type-options")
            .map(|v| v.to_str().unwrap_or("")),
        Some("nosniff"),
        "{what}"
    );
    assert!(
        h.get("referrer-policy").is_some(),
        "{what}: Referrer-Policy"
    );
}

#[tokio::test]
async fn every_route_for_every_role_leaks_nothing_and_changes_nothing_abroad() {
    // Texts in demo mode, so the one-time-code routes (sign-up code, login by code) answer.
    let app = TestApp::spawn_with(|c| c.notify.sms.mode = wushe_app::notify::SmsMode::Demo).await;
    let foreign = [
        plant(&app, QIAOER).await,
        plant(&app, DAPUQIAO_COMMUNITY).await,
        plant(&app, XUHUI_COMMUNITY).await,
    ];
    let mut before = Vec::new();
    for f in &foreign {
        before.push(snapshot(&app, f).await);
    }
    let routes = wushe_app::http::routes();
    let paths: BTreeSet<&str> = routes.paths().iter().copied().collect();
    assert!(
        paths.len() >= 30,
        "the route table lists every route: {paths:?}"
    );
    let mut tried = 0usize;
    for role in Role::ALL {
        // The hostile forms fail logins on purpose; let the per-address throttle window pass.
        app.clock.advance(time::Duration::minutes(11));
        let mut c = app.login_as(role, QIAOYI).await;
        let me = c.user_id.expect("id");
        let own_before = format!(
            "{:?}",
            app.state
                .store
                .grants(me)
                .await
                .expect("grants")
                .iter()
                .map(|g| &g.grant)
                .collect::<Vec<_>>()
        );
        for template in &paths {
            for f in &foreign {
                let path = aim(template, f);
                for method in methods(&c, &path).await {
                    let res = send(&mut c, &method, &path, f).await;
                    let what = format!("{role:?} {method} {path}");
                    assert!(res.status().as_u16() < 500, "{what}: {}", res.status());
                    check_headers(&res, &what);
                    let body = body_unless_stream(res).await;
                    for other in &foreign {
                        for canary in &other.canaries {
                            assert!(!body.contains(canary.as_str()), "{what} returned {canary}");
                        }
                    }
                    tried += 1;
                    if *template == "/logout"
                        || c.get("/api/v1/me").await.status() != StatusCode::OK
                    {
                        // Logged out (or locked out by a hostile form): sign in again as a new user.
                        c = app.login_as(role, QIAOYI).await;
                    }
                }
            }
        }
        let own_after = format!(
            "{:?}",
            app.state
                .store
                .grants(me)
                .await
                .expect("grants")
                .iter()
                .map(|g| &g.grant)
                .collect::<Vec<_>>()
        );
        assert_eq!(own_before, own_after, "{role:?} changed their own grants");
    }
    for (f, b) in foreign.iter().zip(&before) {
        assert_eq!(&snapshot(&app, f).await, b, "records in {} changed", f.code);
    }
    assert!(tried > 500, "tried only {tried} requests");
}

#[tokio::test]
async fn every_state_change_on_every_route_needs_the_csrf_token() {
    let app = TestApp::spawn_with(|c| c.notify.sms.mode = wushe_app::notify::SmsMode::Demo).await;
    let f = plant(&app, QIAOER).await;
    let mut c = app.login_as(Role::Admin, QIAOYI).await;
    let routes = wushe_app::http::routes();
    let mut checked = 0;
    for template in routes.paths() {
        let path = aim(template, &f);
        for method in methods(&c, &path)
            .await
            .into_iter()
            .filter(|m| *m != Method::GET)
        {
            let res = c
                .http
                .request(method.clone(), c.url(&path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("name=x&region=310101020001")
                .send()
                .await
                .expect("send");
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} without a CSRF token"
            );
            check_headers(&res, &format!("{method} {path}"));
            checked += 1;
        }
        c.get("/").await;
    }
    assert!(checked >= 20, "checked {checked}");
}
