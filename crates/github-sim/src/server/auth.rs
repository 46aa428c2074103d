//! App JWTs and installation tokens, checked the way GitHub checks them.

use std::sync::LazyLock;

use axum::http::StatusCode;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::{ApiError, ApiRequest};
use crate::world::World;
use crate::{APP_ID, PUBLIC_KEY_PEM};

/// GitHub refuses App JWTs that live longer than ten minutes.
const MAX_JWT_LIFETIME_SECS: i64 = 600;
/// Clock drift tolerated on `iat` (GitHub recommends back-dating by 60 s).
const CLOCK_SKEW_SECS: i64 = 60;

static DECODING_KEY: LazyLock<Result<DecodingKey, jsonwebtoken::errors::Error>> =
    LazyLock::new(|| DecodingKey::from_rsa_pem(PUBLIC_KEY_PEM.as_bytes()));

#[derive(Debug, Deserialize)]
struct Claims {
    /// GitHub accepts the App id as a number or a string.
    iss: Value,
    iat: Value,
    exp: Value,
}

/// The credential in an `Authorization` header (`token X` or `Bearer X`).
fn credential(request: &ApiRequest) -> Option<&str> {
    let header = request.authorization.as_deref()?;
    let (scheme, value) = header.split_once(' ')?;
    let scheme_ok = scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer");
    scheme_ok.then_some(value.trim())
}

/// Requires a valid App JWT.
pub(super) fn require_app(request: &ApiRequest) -> Result<(), ApiError> {
    let Some(token) = credential(request) else {
        return Err(ApiError::Unauthorized(
            "A JSON web token could not be decoded".to_string(),
        ));
    };
    verify_jwt(token, Utc::now().timestamp())
}

/// Verifies an App JWT against the sim's public key at wall-clock `now`.
pub(crate) fn verify_jwt(token: &str, now: i64) -> Result<(), ApiError> {
    let undecodable =
        || ApiError::Unauthorized("A JSON web token could not be decoded".to_string());
    let key = DECODING_KEY.as_ref().map_err(|_| undecodable())?;
    let mut validation = Validation::new(Algorithm::RS256);
    // The time claims are checked below, with GitHub's messages.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
        .map_err(|_| undecodable())?
        .claims;

    let iss = match &claims.iss {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    };
    if iss != Some(APP_ID) {
        return Err(ApiError::Unauthorized("Integration not found".to_string()));
    }
    let Some(iat) = claims.iat.as_i64() else {
        return Err(ApiError::Unauthorized(
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.".to_string(),
        ));
    };
    let Some(exp) = claims.exp.as_i64() else {
        return Err(ApiError::Unauthorized(
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.".to_string(),
        ));
    };
    if iat > now + CLOCK_SKEW_SECS {
        return Err(ApiError::Unauthorized(
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.".to_string(),
        ));
    }
    if exp - iat > MAX_JWT_LIFETIME_SECS {
        return Err(ApiError::Unauthorized(
            "'Expiration time' claim ('exp') is too far in the future".to_string(),
        ));
    }
    if exp <= now {
        return Err(ApiError::Unauthorized(
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.".to_string(),
        ));
    }
    Ok(())
}

/// The installation a valid, unexpired installation token belongs to.
pub(super) fn require_installation(world: &World, request: &ApiRequest) -> Result<u64, ApiError> {
    let value = credential(request).ok_or(ApiError::BadCredentials)?;
    let token = world.tokens.get(value).ok_or(ApiError::BadCredentials)?;
    if token.revoked || token.expires_at <= Utc::now() {
        return Err(ApiError::BadCredentials);
    }
    if !world.installations.contains_key(&token.installation_id) {
        return Err(ApiError::BadCredentials);
    }
    Ok(token.installation_id)
}

/// The login a user access token acts for. No credential is 401 "Requires authentication";
/// an installation token is 403 with `not_for_installations` (what GitHub says on that
/// route); anything else is 401 "Bad credentials".
pub(super) fn require_user(
    world: &World,
    request: &ApiRequest,
    not_for_installations: &str,
) -> Result<String, ApiError> {
    let Some(value) = credential(request) else {
        return Err(ApiError::Unauthorized(
            "Requires authentication".to_string(),
        ));
    };
    if let Some(token) = world.oauth.user_tokens.get(value) {
        return Ok(token.login.clone());
    }
    if require_installation(world, request).is_ok() {
        return Err(ApiError::Other(
            StatusCode::FORBIDDEN,
            not_for_installations.to_string(),
        ));
    }
    Err(ApiError::BadCredentials)
}

/// The installation of a valid installation token, if the request carries one: whom its
/// rate-limit points are charged to.
pub(super) fn installation_of(world: &World, request: &ApiRequest) -> Option<u64> {
    require_installation(world, request).ok()
}

/// A valid installation token that can see `repo`. A token of an
/// installation without that repository gets 404, as on GitHub (which does
/// not reveal that a repository exists).
pub(super) fn require_repo_access(
    world: &World,
    request: &ApiRequest,
    repo: &str,
) -> Result<u64, ApiError> {
    let installation_id = require_installation(world, request)?;
    let narrowed_out = credential(request)
        .and_then(|value| world.tokens.get(value))
        .and_then(|token| token.repositories.as_ref())
        .is_some_and(|repos| !repos.contains(repo));
    let installed = world
        .installations
        .get(&installation_id)
        .is_some_and(|installation| installation.repositories.contains(repo));
    if narrowed_out || !installed || world.repo(repo).is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(installation_id)
}

/// A valid installation token of an installation on `account`.
pub(super) fn require_installation_on_account(
    world: &World,
    request: &ApiRequest,
    account: &str,
) -> Result<u64, ApiError> {
    let installation_id = require_installation(world, request)?;
    let on_account = world
        .installations
        .get(&installation_id)
        .is_some_and(|installation| installation.account.eq_ignore_ascii_case(account));
    if !on_account {
        return Err(ApiError::NotFound);
    }
    Ok(installation_id)
}
