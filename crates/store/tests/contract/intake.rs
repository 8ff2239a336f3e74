//! The intake's group commit: concurrent submissions share commits, each answered only after
//! its commit; one key makes one need however the racing requests fall into batches.

use wushe_core::needs::record::{IdempotencyClaim, Inserted};
use wushe_core::needs::timeline::EventKind;
use wushe_core::store::NeedStore;

use super::need_work::{event, need};
use super::*;

#[tokio::test]
async fn concurrent_submissions_share_commits_and_one_key_makes_one_need() {
    for f in backends().await {
        seed_regions(&f).await;
        let store = Arc::new(f.store.clone());
        let start = Arc::new(Barrier::new(240));
        let mut tasks = Vec::new();
        for i in 0..240u32 {
            let (store, start) = (store.clone(), start.clone());
            tasks.push(tokio::spawn(async move {
                // Requests 200..240 all carry the key of one resident's double tap.
                let (key, n) = if i < 200 {
                    (format!("own-{i}"), need("310101020001", (i % 250) as u8))
                } else {
                    ("double-tap".to_string(), need("310101020001", 251))
                };
                let mut n = n;
                n.code = wushe_core::needs::tracking::TrackingCode::from_random(
                    (u64::from(i) * 7_919 + 13).to_le_bytes(),
                );
                let claim = IdempotencyClaim {
                    key,
                    body_hash: "same-body".into(),
                };
                start.wait().await;
                let r = store
                    .insert_need(&n, &event(&n, EventKind::Created), &claim, &ev())
                    .await;
                (i, n.id, r)
            }));
        }
        let mut new = 0;
        let mut tap_winner = None;
        let mut tap_replays = Vec::new();
        for t in tasks {
            let (i, id, r) = t.await.expect("task");
            match r.expect("answered") {
                Inserted::New => {
                    new += 1;
                    if i >= 200 {
                        assert!(
                            tap_winner.replace(id).is_none(),
                            "{}: two winners",
                            f.backend
                        );
                    }
                }
                Inserted::Replay(first) => tap_replays.push(first),
                Inserted::Mismatch => panic!("{}: same body, no mismatch", f.backend),
            }
        }
        assert_eq!(new, 201, "{}", f.backend);
        let winner = tap_winner.expect("one double tap won");
        assert_eq!(tap_replays.len(), 39, "{}", f.backend);
        assert!(tap_replays.iter().all(|r| *r == winner), "{}", f.backend);
        let stats = f.store.intake_stats();
        let (commits, rows) = (
            stats.commits.load(std::sync::atomic::Ordering::Relaxed),
            stats.rows.load(std::sync::atomic::Ordering::Relaxed),
        );
        assert_eq!(rows, 201, "{}", f.backend);
        assert!(
            commits < rows / 2,
            "{}: {commits} commits for {rows} rows",
            f.backend
        );
    }
}
