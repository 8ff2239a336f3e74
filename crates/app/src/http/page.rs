//! What every page needs: language, CSRF token, the signed-in user and their navigation.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use wushe_core::{Actor, Permission};

use crate::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::error::HttpError;
use crate::http::session::cookie;

/// Interface language: Chinese first, English second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The `wushe_lang` cookie if set, otherwise the first of zh/en in `Accept-Language`.
    pub fn from_headers(h: &HeaderMap) -> Lang {
        match cookie(h, "wushe_lang").as_deref() {
            Some("en") => return Lang::En,
            Some("zh") => return Lang::Zh,
            _ => {}
        }
        let accept = h
            .get("accept-language")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for tag in accept.split(',') {
            let t = tag.trim().to_ascii_lowercase();
            if t.starts_with("zh") {
                return Lang::Zh;
            }
            if t.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::Zh
    }

    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// One link in the navigation bar.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

/// Context for every HTML page.
pub struct Page {
    pub lang: Lang,
    pub csrf: String,
    pub actor: Option<Actor>,
    pub nav: Vec<NavItem>,
    pub demo: bool,
    pub path: String,
    /// Unread in-app notifications of the signed-in user.
    pub unread: i64,
}

impl Page {
    /// Chinese or English, by the page language.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    pub fn user_name(&self) -> &str {
        self.actor
            .as_ref()
            .map(|a| a.display_name.as_str())
            .unwrap_or("")
    }

    pub fn is_current(&self, href: &str) -> bool {
        self.path == href
            || (href != "/" && self.path.starts_with(href) && !self.path.starts_with("/needs/new"))
    }
}

fn nav_for(actor: &Actor, lang: Lang) -> Vec<NavItem> {
    let mut nav = vec![NavItem {
        href: "/",
        label: lang.pick("首页", "Home"),
    }];
    if actor.can(Permission::ViewNeeds) || !wushe_core::needs::work::actor_orgs(actor).is_empty() {
        nav.push(NavItem {
            href: "/needs",
            label: lang.pick("求助队列", "Needs"),
        });
    }
    if actor.can(Permission::EnterNeeds) {
        nav.push(NavItem {
            href: "/needs/new",
            label: lang.pick("代录求助", "Enter a need"),
        });
    }
    if actor.can(Permission::ViewPlaces) {
        nav.push(NavItem {
            href: "/places",
            label: lang.pick("地区", "Places"),
        });
    }
    if actor.can(Permission::ViewOrgs) {
        nav.push(NavItem {
            href: "/orgs",
            label: lang.pick("机构名录", "Organisations"),
        });
    }
    if actor.can(Permission::ManageVolunteers) {
        nav.push(NavItem {
            href: "/volunteers",
            label: lang.pick("志愿者", "Volunteers"),
        });
        nav.push(NavItem {
            href: "/posts",
            label: lang.pick("岗位排班", "Posts"),
        });
    } else if actor.can(Permission::ServeShifts) {
        nav.push(NavItem {
            href: "/me/shifts",
            label: lang.pick("我的班次", "My shifts"),
        });
        if actor.can(Permission::ServeTasks) {
            nav.push(NavItem {
                href: "/me/tasks",
                label: lang.pick("我的任务", "My tasks"),
            });
        }
    }
    if actor.can(Permission::RecordChecks) {
        nav.push(NavItem {
            href: "/checks/today",
            label: lang.pick("今日探访", "Today's checks"),
        });
    }
    if actor.can(Permission::ViewPeople) {
        nav.push(NavItem {
            href: "/people",
            label: lang.pick("服务对象", "Registry"),
        });
    } else if actor.can(Permission::ViewPeopleCounts) {
        nav.push(NavItem {
            href: "/checks/schedule",
            label: lang.pick("探访进度", "Check schedule"),
        });
    }
    if actor.can(Permission::ViewPeople) || actor.can(Permission::ViewNeeds) {
        nav.push(NavItem {
            href: "/exports",
            label: lang.pick("导出名单", "Exports"),
        });
    }
    if actor.can(Permission::ViewUsers) {
        nav.push(NavItem {
            href: "/users",
            label: lang.pick("工作人员", "Staff"),
        });
    }
    if actor.can(Permission::ViewAudit) {
        nav.push(NavItem {
            href: "/audit",
            label: lang.pick("审计日志", "Audit log"),
        });
    }
    if actor.can(Permission::ManageNotifications) {
        nav.push(NavItem {
            href: "/admin/outbox",
            label: lang.pick("通知发送", "Notifications out"),
        });
    }
    nav
}

impl FromRequestParts<AppState> for Page {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_headers(&parts.headers);
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let actor = parts.extensions.get::<Actor>().cloned();
        let nav = actor.as_ref().map(|a| nav_for(a, lang)).unwrap_or_default();
        let unread = match &actor {
            Some(a) => state.store.unread_notifications(a.user_id).await?,
            None => 0,
        };
        Ok(Page {
            unread,
            lang,
            csrf,
            actor,
            nav,
            demo: state.config.demo,
            path: parts.uri.path().to_string(),
        })
    }
}
