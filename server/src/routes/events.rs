//! `POST /v1/events` (Bearer): `{ app_id, events: [{ id, kind: "share" } | { id, kind: "play", seconds }] }`,
//! what the SDK counted; answers the profile with the figures counted. Every event is checked before any is
//! counted: a body of another shape is HTTP 400 naming the field, and nothing is counted.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::Value;
use tmsdk_core::{Envelope, Event, Profile, MAX_EVENTS};

use super::{now, stored_profile};
use crate::error::Refusal;
use crate::extract::{session, Bearer};
use crate::state::SharedState;

/// `POST /v1/events`.
pub async fn events(
    State(state): State<SharedState>,
    Bearer(token): Bearer,
    body: Bytes,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    let body: Value = serde_json::from_slice(&body).map_err(|_| {
        Refusal::bad_request("the body must be JSON: { app_id, events }; nothing was counted.")
    })?;
    let app_id = body["app_id"].as_str().unwrap_or_default();
    let (claims, _) = session(&state, &token, &[app_id]).await?;
    let events = read_events(&body["events"]).map_err(|(field, problem)| {
        Refusal::bad_request(format!("{field} {problem}; nothing was counted."))
    })?;
    let counted = state
        .store
        .record_events(&claims.aud, &claims.sub, &events, now())
        .await?;
    tracing::info!(event = "events", app_id = %claims.aud, received = events.len(), new = counted.new_events, shares = counted.shares, seconds = counted.seconds, "events counted");
    stored_profile(&state, &claims.aud, &claims.sub).await
}

/// The events of a request, each checked: `Err((field, what it must be))` for the first that is not one.
fn read_events(given: &Value) -> Result<Vec<Event>, (String, String)> {
    let Some(list) = given.as_array() else {
        return Err(("events".into(), "must be an array of events".into()));
    };
    if list.len() > MAX_EVENTS {
        return Err((
            "events".into(),
            format!(
                "has {} entries; at most {MAX_EVENTS} go in one request",
                list.len()
            ),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, e)| {
            read_event(e).map_err(|(field, problem)| {
                let at = if field.is_empty() {
                    format!("events[{i}]")
                } else {
                    format!("events[{i}].{field}")
                };
                (at, problem.to_string())
            })
        })
        .collect()
}

fn read_event(given: &Value) -> Result<Event, (&'static str, &'static str)> {
    if !given.is_object() {
        return Err(("", "must be an object { id, kind }"));
    }
    let id = given["id"]
        .as_str()
        .ok_or(("id", "must be a string of 1 to 64 of A-Z a-z 0-9 _ -"))?
        .to_string();
    let event = match given["kind"].as_str() {
        Some("share") if given.get("seconds").is_none() => Event::Share { id },
        Some("share") => return Err(("seconds", "is not part of a share")),
        Some("play") => Event::Play {
            id,
            // Its range is the event's own rule, checked below.
            seconds: given["seconds"]
                .as_u64()
                .ok_or(("seconds", "must be a whole number from 1 to 86400"))?,
        },
        _ => return Err(("kind", "must be \"share\" or \"play\"")),
    };
    match event.problem() {
        Some(problem) => Err(problem),
        None => Ok(event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_read_whole_or_refused_naming_the_field() {
        let events = read_events(&json!([
            {"id": "s1", "kind": "share"},
            {"id": "p1", "kind": "play", "seconds": 125},
        ]))
        .unwrap();
        assert_eq!(events.len(), 2);
        for (given, field) in [
            (json!({"x": 1}), "events"),
            (json!([{"id": "s1", "kind": "share"}, 7]), "events[1]"),
            (json!([{"id": "", "kind": "share"}]), "events[0].id"),
            (json!([{"id": "a b", "kind": "share"}]), "events[0].id"),
            (json!([{"id": 5, "kind": "share"}]), "events[0].id"),
            (json!([{"id": "x", "kind": "buy"}]), "events[0].kind"),
            (json!([{"id": "x", "kind": "play"}]), "events[0].seconds"),
            (
                json!([{"id": "x", "kind": "play", "seconds": 0}]),
                "events[0].seconds",
            ),
            (
                json!([{"id": "x", "kind": "play", "seconds": 86401}]),
                "events[0].seconds",
            ),
            (
                json!([{"id": "x", "kind": "play", "seconds": 1.5}]),
                "events[0].seconds",
            ),
            (
                json!([{"id": "x", "kind": "share", "seconds": 3}]),
                "events[0].seconds",
            ),
            (
                json!(vec![json!({"id": "x", "kind": "share"}); 101]),
                "events",
            ),
        ] {
            let (named, _) = read_events(&given).unwrap_err();
            assert_eq!(named, field, "{given}");
        }
    }
}
