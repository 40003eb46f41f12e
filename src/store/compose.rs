//! What writing mail keeps in Facteur's database: identities, contacts, send keys.

use serde::{Deserialize, Serialize};

use super::{Db, StoreError};
use crate::clock::unix_secs;

/// An address the user sends as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// 0 for the implicit identity (the login address) of a user who configured none.
    pub id: i64,
    pub email: String,
    pub name: String,
    pub signature: String,
    pub is_default: bool,
}

type IdentityRow = (i64, String, String, String, i64);

fn identity(r: IdentityRow) -> Identity {
    Identity { id: r.0, email: r.1, name: r.2, signature: r.3, is_default: r.4 != 0 }
}

/// The user's identities, the default first. A user who configured none has their login.
pub async fn identities(db: &Db, username: &str) -> Result<Vec<Identity>, StoreError> {
    let rows: Vec<IdentityRow> = sqlx::query_as(
        "SELECT id, email, name, signature, is_default FROM identities \
         WHERE username = $1 ORDER BY is_default DESC, id",
    )
    .bind(username)
    .fetch_all(db)
    .await?;
    let mut out: Vec<Identity> = rows.into_iter().map(identity).collect();
    if out.is_empty() && username.contains('@') {
        out.push(Identity {
            id: 0,
            email: username.to_string(),
            name: String::new(),
            signature: String::new(),
            is_default: true,
        });
    }
    if !out.iter().any(|i| i.is_default)
        && let Some(first) = out.first_mut()
    {
        first.is_default = true;
    }
    Ok(out)
}

/// Adds (`id` 0) or updates an identity. Making one the default unsets the others.
pub async fn save_identity(db: &Db, username: &str, i: &Identity) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    if i.is_default {
        sqlx::query("UPDATE identities SET is_default = 0 WHERE username = $1").bind(username).execute(&mut *tx).await?;
    }
    let id = if i.id == 0 {
        let r: (i64,) = sqlx::query_as(
            "INSERT INTO identities (username, email, name, signature, is_default) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(username)
        .bind(&i.email)
        .bind(&i.name)
        .bind(&i.signature)
        .bind(i64::from(i.is_default))
        .fetch_one(&mut *tx)
        .await?;
        r.0
    } else {
        sqlx::query(
            "UPDATE identities SET email = $3, name = $4, signature = $5, \
             is_default = CASE WHEN $6 = 1 THEN 1 ELSE is_default END WHERE username = $1 AND id = $2",
        )
        .bind(username)
        .bind(i.id)
        .bind(&i.email)
        .bind(&i.name)
        .bind(&i.signature)
        .bind(i64::from(i.is_default))
        .execute(&mut *tx)
        .await?;
        i.id
    };
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_identity(db: &Db, username: &str, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM identities WHERE username = $1 AND id = $2").bind(username).bind(id).execute(db).await?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub email: String,
    pub name: String,
    pub uses: i64,
}

/// Remembers that the user wrote to these (name, address) pairs.
pub async fn note_contacts(db: &Db, username: &str, people: &[(String, String)]) -> Result<(), StoreError> {
    let t = unix_secs();
    for (name, email) in people {
        sqlx::query(
            "INSERT INTO contacts (username, email, name, uses, last_used) VALUES ($1, $2, $3, 1, $4) \
             ON CONFLICT (username, email) DO UPDATE SET uses = contacts.uses + 1, last_used = excluded.last_used, \
             name = CASE WHEN excluded.name <> '' AND contacts.name = '' THEN excluded.name ELSE contacts.name END",
        )
        .bind(username)
        .bind(email.to_lowercase())
        .bind(name)
        .bind(t)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Adds a contact by hand, or renames one.
pub async fn save_contact(db: &Db, username: &str, email: &str, name: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO contacts (username, email, name, uses, last_used) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (username, email) DO UPDATE SET name = excluded.name",
    )
    .bind(username)
    .bind(email.to_lowercase())
    .bind(name)
    .bind(unix_secs())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_contact(db: &Db, username: &str, email: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM contacts WHERE username = $1 AND email = $2").bind(username).bind(email.to_lowercase()).execute(db).await?;
    Ok(())
}

pub async fn contacts(db: &Db, username: &str) -> Result<Vec<Contact>, StoreError> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT email, name, uses FROM contacts WHERE username = $1 ORDER BY name = '', lower(name), email")
            .bind(username)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(email, name, uses)| Contact { email, name, uses }).collect())
}

/// Up to `limit` contacts whose address or name contains `q`, most used first.
pub async fn suggest(db: &Db, username: &str, q: &str, limit: i64) -> Result<Vec<Contact>, StoreError> {
    let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT email, name, uses FROM contacts WHERE username = $1 \
         AND (email LIKE $2 ESCAPE '\\' OR lower(name) LIKE $2 ESCAPE '\\') \
         ORDER BY uses DESC, last_used DESC LIMIT $3",
    )
    .bind(username)
    .bind(pattern)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(email, name, uses)| Contact { email, name, uses }).collect())
}

/// Claims a send key. `false`: this form was already sent (or is being sent).
pub async fn claim_send_key(db: &Db, username: &str, key: &str) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO send_keys (username, key, state, created_at) VALUES ($1, $2, 'sending', $3) \
         ON CONFLICT (username, key) DO NOTHING",
    )
    .bind(username)
    .bind(key)
    .bind(unix_secs())
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The send failed: the form may be sent again.
pub async fn release_send_key(db: &Db, username: &str, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM send_keys WHERE username = $1 AND key = $2").bind(username).bind(key).execute(db).await?;
    Ok(())
}

pub async fn mark_sent(db: &Db, username: &str, key: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE send_keys SET state = 'sent' WHERE username = $1 AND key = $2").bind(username).bind(key).execute(db).await?;
    sqlx::query("DELETE FROM send_keys WHERE created_at < $1").bind(unix_secs() - 7 * 86400).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn identities_contacts_and_keys() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        let u = "me@example.test";
        let ids = identities(&db, u).await.unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!((ids[0].id, ids[0].email.as_str(), ids[0].is_default), (0, u, true));
        let mut a = Identity { id: 0, email: "a@example.test".into(), name: "A".into(), signature: "--\nA".into(), is_default: false };
        a.id = save_identity(&db, u, &a).await.unwrap();
        let b = Identity { id: 0, email: "b@example.test".into(), is_default: true, ..a.clone() };
        let b_id = save_identity(&db, u, &b).await.unwrap();
        let ids = identities(&db, u).await.unwrap();
        assert_eq!(ids.iter().map(|i| (i.email.as_str(), i.is_default)).collect::<Vec<_>>(), vec![("b@example.test", true), ("a@example.test", false)]);
        save_identity(&db, u, &Identity { is_default: true, ..a.clone() }).await.unwrap();
        assert_eq!(identities(&db, u).await.unwrap()[0].email, "a@example.test");
        delete_identity(&db, u, b_id).await.unwrap();
        assert_eq!(identities(&db, u).await.unwrap().len(), 1);
        assert!(identities(&db, "other@example.test").await.unwrap()[0].id == 0);

        note_contacts(&db, u, &[("Bob".into(), "Bob@Example.test".into()), (String::new(), "carol@example.test".into())]).await.unwrap();
        note_contacts(&db, u, &[(String::new(), "bob@example.test".into())]).await.unwrap();
        let s = suggest(&db, u, "BO", 10).await.unwrap();
        assert_eq!(s, vec![Contact { email: "bob@example.test".into(), name: "Bob".into(), uses: 2 }]);
        assert!(suggest(&db, u, "%", 10).await.unwrap().is_empty());
        assert!(suggest(&db, "other@example.test", "bo", 10).await.unwrap().is_empty());
        delete_contact(&db, u, "BOB@example.test").await.unwrap();
        assert_eq!(contacts(&db, u).await.unwrap().len(), 1);

        assert!(claim_send_key(&db, u, "k1").await.unwrap());
        assert!(!claim_send_key(&db, u, "k1").await.unwrap());
        release_send_key(&db, u, "k1").await.unwrap();
        assert!(claim_send_key(&db, u, "k1").await.unwrap());
        mark_sent(&db, u, "k1").await.unwrap();
        assert!(!claim_send_key(&db, u, "k1").await.unwrap());
    }
}
