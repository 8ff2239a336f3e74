//! SQL for posts, shifts, bookings, attendance and certificates. Booking relies on the
//! database as the last word (see the module above).

use async_trait::async_trait;
use time::OffsetDateTime;
use wushe_core::audit::AuditEvent;
use wushe_core::ids::{BookingId, PostId, ShiftId, UserId};
use wushe_core::regions::RegionCode;
use wushe_core::store::RosterStore;
use wushe_core::volunteers::booking::BookingState;
use wushe_core::volunteers::record::{Booking, Certificate, Post, RosterEntry, Shift};
use wushe_core::{Error, Result};

use super::{
    BOOKING_COLS, BookingRow, CertificateRow, NamedBookingRow, POST_COLS, PostRow, SHIFT_COLS,
    ShiftRow, booking_err,
};
use crate::audit::{append_entry, lock_head};
use crate::{SqlStore, at, db_err, fetch, ms, on_pool, scope_clause};

#[async_trait]
impl RosterStore for SqlStore {
    async fn insert_post(&self, post: &Post, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO posts (id, region_code, kind, name, lead_user_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(post.id.0).bind(&post.region.0).bind(post.kind.as_str()).bind(&post.name)
            .bind(post.lead.map(|u| u.0)).bind(ms(post.created_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn post(&self, id: PostId) -> Result<Option<Post>> {
        let sql = format!("SELECT {POST_COLS} FROM posts WHERE id = $1");
        let row: Option<PostRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Post::try_from).transpose()
    }

    async fn list_posts(&self, scope: &[RegionCode]) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLS} FROM posts WHERE {} ORDER BY region_code, name LIMIT 500",
            scope_clause("region_code", scope.len(), 1)
        );
        let rows: Vec<PostRow> = fetch!(all, &self.db, sql, [], in scope)?;
        rows.into_iter().map(Post::try_from).collect()
    }

    async fn set_post_lead(
        &self,
        post: PostId,
        lead: Option<UserId>,
        audit: &AuditEvent,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query("UPDATE posts SET lead_user_id = $1 WHERE id = $2")
                .bind(lead.map(|u| u.0)).bind(post.0)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Err(Error::NotFound);
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn posts_led_by(&self, user: UserId) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLS} FROM posts WHERE lead_user_id = $1 ORDER BY name LIMIT 100"
        );
        let rows: Vec<PostRow> = fetch!(all, &self.db, sql, [user.0])?;
        rows.into_iter().map(Post::try_from).collect()
    }

    async fn insert_shifts(&self, shifts: &[Shift], audit: &AuditEvent) -> Result<()> {
        let mut audit = audit.clone();
        for s in shifts {
            audit = audit.with_record_id(s.id);
        }
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            for s in shifts {
                sqlx::query(
                    "INSERT INTO shifts (id, post_id, region_code, starts_at, ends_at, slots, taken)
                     VALUES ($1, $2, $3, $4, $5, $6, 0)",
                )
                .bind(s.id.0).bind(s.post.0).bind(&s.region.0).bind(ms(s.window.start))
                .bind(ms(s.window.end)).bind(s.slots)
                .execute(&mut *tx).await.map_err(db_err)?;
            }
            append_entry!(tx, head, &audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn shift(&self, id: ShiftId) -> Result<Option<Shift>> {
        let sql = format!("SELECT {SHIFT_COLS} FROM shifts WHERE id = $1");
        let row: Option<ShiftRow> = fetch!(optional, &self.db, sql, [id.0])?;
        Ok(row.map(Shift::from))
    }

    async fn shifts_of_post(&self, post: PostId) -> Result<Vec<Shift>> {
        let sql = format!(
            "SELECT {SHIFT_COLS} FROM shifts WHERE post_id = $1 ORDER BY starts_at LIMIT 500"
        );
        let rows: Vec<ShiftRow> = fetch!(all, &self.db, sql, [post.0])?;
        Ok(rows.into_iter().map(Shift::from).collect())
    }

    async fn shifts_between(
        &self,
        scope: &[RegionCode],
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<Shift>> {
        let sql = format!(
            "SELECT {SHIFT_COLS} FROM shifts WHERE ends_at > $1 AND starts_at < $2 AND {}
             ORDER BY starts_at LIMIT 1000",
            scope_clause("region_code", scope.len(), 3)
        );
        let rows: Vec<ShiftRow> = fetch!(all, &self.db, sql, [ms(from), ms(until)], in scope)?;
        Ok(rows.into_iter().map(Shift::from).collect())
    }

    async fn book_shift(&self, b: &Booking, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO shift_bookings (id, shift_id, user_id, starts_at, ends_at, state,
                 checked_in_at, checked_out_at, booked_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $8)",
            )
            .bind(b.id.0).bind(b.shift.0).bind(b.user.0).bind(ms(b.window.start))
            .bind(ms(b.window.end)).bind(b.state.as_str()).bind(b.booked_by.0).bind(ms(b.created_at))
            .execute(&mut *tx).await.map_err(booking_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn booking(&self, id: BookingId) -> Result<Option<Booking>> {
        let sql = format!("SELECT {BOOKING_COLS} FROM shift_bookings b WHERE b.id = $1");
        let row: Option<BookingRow> = fetch!(optional, &self.db, sql, [id.0])?;
        row.map(Booking::try_from).transpose()
    }

    async fn roster(&self, post: PostId) -> Result<Vec<RosterEntry>> {
        let sql = format!(
            "SELECT {BOOKING_COLS}, u.username, u.display_name FROM shift_bookings b
             JOIN shifts s ON s.id = b.shift_id JOIN users u ON u.id = b.user_id
             WHERE s.post_id = $1 ORDER BY b.starts_at, u.display_name LIMIT 5000"
        );
        let rows: Vec<NamedBookingRow> = fetch!(all, &self.db, sql, [post.0])?;
        rows.into_iter()
            .map(|r| {
                Ok(RosterEntry {
                    booking: Booking::try_from(r.b)?,
                    display_name: r.display_name,
                })
            })
            .collect()
    }

    async fn bookings_of_user(&self, user: UserId) -> Result<Vec<Booking>> {
        let sql = format!(
            "SELECT {BOOKING_COLS} FROM shift_bookings b WHERE b.user_id = $1 ORDER BY b.starts_at LIMIT 2000"
        );
        let rows: Vec<BookingRow> = fetch!(all, &self.db, sql, [user.0])?;
        rows.into_iter().map(Booking::try_from).collect()
    }

    async fn set_attendance(
        &self,
        id: BookingId,
        from: BookingState,
        to: BookingState,
        when: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let sql = match to {
            BookingState::CheckedIn => {
                "UPDATE shift_bookings SET state = $1, checked_in_at = $2 WHERE id = $3 AND state = $4"
            }
            BookingState::CheckedOut => {
                "UPDATE shift_bookings SET state = $1, checked_out_at = $2 WHERE id = $3 AND state = $4"
            }
            BookingState::NoShow | BookingState::Booked => {
                "UPDATE shift_bookings SET state = $1 WHERE id = $3 AND state = $4 AND $2 = $2"
            }
        };
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            let n = sqlx::query(sql)
                .bind(to.as_str()).bind(ms(when)).bind(id.0).bind(from.as_str())
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn checked_bookings(
        &self,
        scope: &[RegionCode],
    ) -> Result<Vec<(String, String, Booking)>> {
        let sql = format!(
            "SELECT {BOOKING_COLS}, u.username, u.display_name FROM shift_bookings b
             JOIN users u ON u.id = b.user_id JOIN volunteer_profiles v ON v.user_id = b.user_id
             WHERE b.state = 'checked_out' AND {} ORDER BY u.username, b.starts_at LIMIT 100000",
            scope_clause("v.region_code", scope.len(), 1)
        );
        let rows: Vec<NamedBookingRow> = fetch!(all, &self.db, sql, [], in scope)?;
        rows.into_iter()
            .map(|r| Ok((r.username, r.display_name, Booking::try_from(r.b)?)))
            .collect()
    }

    async fn insert_certificate(&self, c: &Certificate, audit: &AuditEvent) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let head = lock_head!(tx);
            sqlx::query(
                "INSERT INTO service_certificates (id, user_id, display_name, minutes, region_code, issued_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&c.id).bind(c.user.0).bind(&c.display_name).bind(c.minutes)
            .bind(&c.region.0).bind(ms(c.issued_at))
            .execute(&mut *tx).await.map_err(db_err)?;
            append_entry!(tx, head, audit);
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn certificate(&self, id: &str) -> Result<Option<Certificate>> {
        let row: Option<CertificateRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT id, user_id, display_name, minutes, region_code, issued_at FROM service_certificates WHERE id = $1"
        ).bind(id).fetch_optional(p).await)
        .map_err(db_err)?;
        Ok(row.map(|r| Certificate {
            id: r.id,
            user: UserId(r.user_id),
            display_name: r.display_name,
            minutes: r.minutes,
            region: RegionCode(r.region_code),
            issued_at: at(r.issued_at),
        }))
    }
}
