//! The store contract of the volunteer ports (`CallupStore`, `VolunteerStore`, `RosterStore`).

use super::*;
use wushe_core::dispatch::{Skill, Skills};
use wushe_core::ids::{BookingId, CampaignId, PostId, ShiftId, SignupId};
use wushe_core::store::{CallupStore, RosterStore, VolunteerStore};
use wushe_core::volunteers::PostKind;
use wushe_core::volunteers::booking::{BookingState, Window};
use wushe_core::volunteers::record::{
    Booking, Campaign, CampaignRole, CampaignState, Certificate, PasswordLink, Post, Profile,
    Shift, Signup, SignupState,
};

const COMMUNITY: &str = "310101020001";

async fn staff(f: &Fixture) -> UserId {
    let g = vec![grant(Role::SocialWorker, COMMUNITY, None)];
    f.store
        .insert_user(
            &new_user(
                &format!("s{}", &Uuid::now_v7().simple().to_string()[20..]),
                COMMUNITY,
                g,
            ),
            "hash",
            T0,
            &ev(),
        )
        .await
        .expect("staff")
}

async fn campaign(f: &Fixture, by: UserId) -> Campaign {
    let o = org("桥一居委会", OrgKind::Committee, COMMUNITY);
    f.store.insert_org(&o, &ev()).await.expect("org");
    let c = Campaign {
        id: CampaignId::new(),
        org: o.id,
        title: "召集令".into(),
        description: "说明".into(),
        region: RegionCode(COMMUNITY.into()),
        meeting_point: "门口".into(),
        roles: vec![CampaignRole {
            name: "秩序维护".into(),
            headcount: 3,
            skills: vec!["first_aid".into()],
        }],
        min_age: Some(18),
        max_age: None,
        period: Window {
            start: to_ms(T0),
            end: to_ms(T0 + Duration::days(7)),
        },
        state: CampaignState::Open,
        created_by: by,
        created_at: to_ms(T0),
    };
    f.store.insert_campaign(&c, &ev()).await.expect("campaign");
    c
}

fn signup(c: &Campaign, index: &str) -> Signup {
    Signup {
        id: SignupId::new(),
        campaign: c.id,
        role_name: "秩序维护".into(),
        name: vec![1, 2, 3],
        mobile: vec![4, 5, 6],
        mobile_index: index.into(),
        phone_verified: false,
        age: 30,
        skills: Skills::of(&[Skill::FirstAid, Skill::Dialect]),
        availability: "weekends".into(),
        home_community: RegionCode(COMMUNITY.into()),
        notice_version: "v".into(),
        state: SignupState::Pending,
        reason: None,
        decided_by: None,
        decided_at: None,
        user: None,
        created_at: to_ms(T0),
    }
}

fn profile() -> Profile {
    Profile {
        user: UserId(Uuid::nil()),
        skills: Skills::of(&[Skill::Medical]),
        availability: "nights".into(),
        home_community: RegionCode(COMMUNITY.into()),
        team: None,
        region: RegionCode(COMMUNITY.into()),
        updated_at: T0,
        version: 1,
    }
}

async fn approve(f: &Fixture, s: &Signup, by: UserId, username: &str, link: &str) -> UserId {
    let u = new_user(
        username,
        COMMUNITY,
        vec![grant(Role::Volunteer, COMMUNITY, None)],
    );
    let l = PasswordLink {
        token_hash: link.into(),
        user: UserId(Uuid::nil()),
        expires_at: T0 + Duration::days(7),
    };
    f.store
        .approve_signup(s.id, &u, "unusable", &profile(), &l, by, T0, &ev())
        .await
        .expect("approve")
}

#[tokio::test]
async fn sign_ups_round_trip_are_unique_per_mobile_and_are_decided_once() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let by = staff(&f).await;
        let c = campaign(&f, by).await;
        assert_eq!(
            f.store.campaign(c.id).await.expect("c"),
            Some(c.clone()),
            "{b}"
        );
        assert_eq!(f.store.open_campaigns(T0).await.expect("o").len(), 1, "{b}");
        assert!(
            f.store
                .open_campaigns(T0 + Duration::days(8))
                .await
                .expect("o")
                .is_empty(),
            "{b}: ended"
        );
        let s = signup(&c, "1:abc");
        f.store.insert_signup(&s, &ev()).await.expect("signup");
        assert_eq!(
            f.store.signup(s.id).await.expect("s"),
            Some(s.clone()),
            "{b}"
        );
        let again = signup(&c, "1:abc");
        assert!(
            matches!(
                f.store.insert_signup(&again, &ev()).await,
                Err(Error::Conflict(_))
            ),
            "{b}: one sign-up per mobile and call-up"
        );
        let uid = approve(&f, &s, by, "13800001234", "linkhash").await;
        let got = f.store.signup(s.id).await.expect("s").expect("e");
        assert_eq!(
            (got.state, got.user, got.decided_by),
            (SignupState::Approved, Some(uid), Some(by)),
            "{b}"
        );
        let p = f.store.profile(uid).await.expect("p").expect("profile");
        assert_eq!(
            (p.user, p.skills, p.version),
            (uid, Skills::of(&[Skill::Medical]), 1),
            "{b}"
        );
        assert_eq!(
            f.store.grants(uid).await.expect("g")[0].grant.role,
            Role::Volunteer,
            "{b}"
        );
        // Decided: neither approved again nor declined.
        let l = PasswordLink {
            token_hash: "other".into(),
            user: uid,
            expires_at: T0,
        };
        let u2 = new_user("13800005678", COMMUNITY, vec![]);
        assert!(
            matches!(
                f.store
                    .approve_signup(s.id, &u2, "x", &profile(), &l, by, T0, &ev())
                    .await,
                Err(Error::Conflict(_))
            ),
            "{b}"
        );
        assert!(
            f.store
                .user_by_name("13800005678")
                .await
                .expect("u")
                .is_none(),
            "{b}: rolled back"
        );
        assert!(
            matches!(
                f.store.decline_signup(s.id, "r", by, T0, &ev()).await,
                Err(Error::Conflict(_))
            ),
            "{b}"
        );
        // The link: once, and not after it expires.
        assert_eq!(
            f.store.password_link("linkhash", T0).await.expect("l"),
            Some(uid),
            "{b}"
        );
        assert_eq!(
            f.store
                .password_link("linkhash", T0 + Duration::days(8))
                .await
                .expect("l"),
            None,
            "{b}"
        );
        assert!(
            !f.store
                .use_password_link("linkhash", "new", T0 + Duration::days(8), &ev())
                .await
                .expect("use"),
            "{b}: expired"
        );
        assert!(
            f.store
                .use_password_link("linkhash", "new", T0, &ev())
                .await
                .expect("use"),
            "{b}"
        );
        assert_eq!(
            f.store.password_hash(uid).await.expect("h").as_deref(),
            Some("new"),
            "{b}"
        );
        assert!(
            !f.store
                .use_password_link("linkhash", "newer", T0, &ev())
                .await
                .expect("use"),
            "{b}: once"
        );
        assert_eq!(
            f.store.password_hash(uid).await.expect("h").as_deref(),
            Some("new"),
            "{b}"
        );
        // Profiles change only from the version read.
        let mut p2 = p.clone();
        p2.skills = Skills::of(&[Skill::Language]);
        f.store.update_profile(&p2, &ev()).await.expect("update");
        assert!(
            matches!(
                f.store.update_profile(&p2, &ev()).await,
                Err(Error::Conflict(_))
            ),
            "{b}: stale"
        );
        assert_eq!(
            f.store.profile(uid).await.expect("p").expect("e").version,
            2,
            "{b}"
        );
        assert_eq!(
            f.store
                .list_volunteers(&[RegionCode("310101".into())])
                .await
                .expect("l")
                .len(),
            1,
            "{b}"
        );
        assert!(
            f.store.list_volunteers(&[]).await.expect("l").is_empty(),
            "{b}: no scope, nothing"
        );
    }
}

#[tokio::test]
async fn the_database_keeps_shifts_from_overfilling_and_people_from_double_booking_under_a_race() {
    for f in backends().await {
        let b = f.backend;
        seed_regions(&f).await;
        let by = staff(&f).await;
        let c = campaign(&f, by).await;
        let mut people = Vec::new();
        for i in 0..10 {
            let s = signup(&c, &format!("1:{i}"));
            f.store.insert_signup(&s, &ev()).await.expect("signup");
            people.push(approve(&f, &s, by, &format!("1380000{i:04}"), &format!("l{i}")).await);
        }
        let post = Post {
            id: PostId::new(),
            region: RegionCode(COMMUNITY.into()),
            kind: PostKind::Checkpoint,
            name: "东门卡口".into(),
            lead: None,
            created_at: to_ms(T0),
        };
        f.store.insert_post(&post, &ev()).await.expect("post");
        assert_eq!(
            f.store.post(post.id).await.expect("p"),
            Some(post.clone()),
            "{b}"
        );
        let w = Window {
            start: to_ms(T0 + Duration::hours(1)),
            end: to_ms(T0 + Duration::hours(5)),
        };
        let shift = Shift {
            id: ShiftId::new(),
            post: post.id,
            region: post.region.clone(),
            window: w,
            slots: 2,
            taken: 0,
        };
        let later = Shift {
            id: ShiftId::new(),
            window: Window {
                start: w.start + Duration::hours(2),
                end: w.end + Duration::hours(2),
            },
            ..shift.clone()
        };
        f.store
            .insert_shifts(&[shift.clone(), later.clone()], &ev())
            .await
            .expect("shifts");
        assert_eq!(
            f.store.shifts_of_post(post.id).await.expect("s").len(),
            2,
            "{b}"
        );
        let booking = |user: UserId, s: &Shift| Booking {
            id: BookingId::new(),
            shift: s.id,
            user,
            window: s.window,
            state: BookingState::Booked,
            checked_in_at: None,
            checked_out_at: None,
            booked_by: user,
            created_at: to_ms(T0),
        };
        let store = Arc::new(f.store.clone());
        let barrier = Arc::new(Barrier::new(people.len()));
        let mut tasks = Vec::new();
        for u in &people {
            let (store, barrier, bk) = (store.clone(), barrier.clone(), booking(*u, &shift));
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                store.book_shift(&bk, &ev()).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.expect("task") {
                Ok(()) => ok += 1,
                Err(Error::Invalid(e)) => assert!(e.get("shift").is_some(), "{b}: {e:?}"),
                Err(e) => panic!("{b}: {e:?}"),
            }
        }
        assert_eq!(ok, 2, "{b}: exactly the slots");
        assert_eq!(
            f.store.shift(shift.id).await.expect("s").expect("e").taken,
            2,
            "{b}"
        );
        let winners: Vec<UserId> = f
            .store
            .roster(post.id)
            .await
            .expect("r")
            .into_iter()
            .map(|e| e.booking.user)
            .collect();
        assert_eq!(winners.len(), 2, "{b}");
        // A winner cannot also hold the overlapping later shift; a loser can.
        let err = f
            .store
            .book_shift(&booking(winners[0], &later), &ev())
            .await
            .expect_err("overlap");
        assert!(
            matches!(&err, Error::Invalid(e) if e.get("shift").is_some_and(|m| m.en.contains("overlaps"))),
            "{b}: {err:?}"
        );
        let loser = *people
            .iter()
            .find(|p| !winners.contains(p))
            .expect("a loser");
        f.store
            .book_shift(&booking(loser, &later), &ev())
            .await
            .expect("free");
        // Attendance moves only from the state read.
        let mine = f.store.bookings_of_user(loser).await.expect("b");
        assert_eq!(mine.len(), 1, "{b}");
        let id = mine[0].id;
        assert!(
            f.store
                .set_attendance(
                    id,
                    BookingState::Booked,
                    BookingState::CheckedIn,
                    to_ms(T0 + Duration::hours(3)),
                    &ev()
                )
                .await
                .expect("in"),
            "{b}"
        );
        assert!(
            !f.store
                .set_attendance(id, BookingState::Booked, BookingState::CheckedIn, T0, &ev())
                .await
                .expect("again"),
            "{b}"
        );
        assert!(
            f.store
                .set_attendance(
                    id,
                    BookingState::CheckedIn,
                    BookingState::CheckedOut,
                    to_ms(T0 + Duration::hours(6)),
                    &ev()
                )
                .await
                .expect("out"),
            "{b}"
        );
        let got = f.store.booking(id).await.expect("b").expect("e");
        assert_eq!(
            (got.state, got.checked_in_at, got.checked_out_at),
            (
                BookingState::CheckedOut,
                Some(to_ms(T0 + Duration::hours(3))),
                Some(to_ms(T0 + Duration::hours(6)))
            ),
            "{b}"
        );
        assert_eq!(
            f.store
                .checked_bookings(&[RegionCode("310101".into())])
                .await
                .expect("c")
                .len(),
            1,
            "{b}"
        );
        assert_eq!(
            f.store
                .shifts_between(
                    &[RegionCode("310101020".into())],
                    T0,
                    T0 + Duration::days(1)
                )
                .await
                .expect("s")
                .len(),
            2,
            "{b}"
        );
        // Certificates round trip.
        let cert = Certificate {
            id: "ABCD2345".into(),
            user: loser,
            display_name: "周同学".into(),
            minutes: 180,
            region: post.region.clone(),
            issued_at: to_ms(T0),
        };
        f.store
            .insert_certificate(&cert, &ev())
            .await
            .expect("cert");
        assert_eq!(
            f.store.certificate("ABCD2345").await.expect("c"),
            Some(cert),
            "{b}"
        );
        assert_eq!(
            f.store.certificate("ABCD2346").await.expect("c"),
            None,
            "{b}"
        );
    }
}
