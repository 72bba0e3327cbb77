//! The storefront's gateway contract, natively: verify the caller's access token once per
//! request (HS256 with the shared secret, the issuer named, `exp`, `iat` and `sub` required,
//! a lifetime of at most a day, 30 s of clock skew, as gateway/src/auth/access-token-verifier.ts)
//! and sign the verified identity into the header the subgraphs trust on every subgraph
//! request (`x-storefront-internal`, kernel/src/auth/internal-credential.ts):
//! `v1.<payload>.<mac>`, the payload base64url JSON `{aud, identity?, requestId, exp}` and the mac
//! HMAC-SHA256 of the payload text, base64url. A request without a token is anonymous; one
//! with a token that fails verification is refused (401, UNAUTHENTICATED).
use std::ops::ControlFlow;
use std::time::{SystemTime, UNIX_EPOCH};

use apollo_router::graphql;
use apollo_router::layers::ServiceBuilderExt;
use apollo_router::plugin::{Plugin, PluginInit};
use apollo_router::register_plugin;
use apollo_router::services::{subgraph, supergraph};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use tower::{BoxError, ServiceBuilder, ServiceExt};

const HEADER: &str = "x-storefront-internal";
/// Where the verified identity waits in the request's context for the subgraph requests.
const IDENTITY: &str = "storefront::identity";
/// A captured header is useless a minute later, as the storefront's own gateway signs it.
const VALIDITY_MS: u128 = 60_000;
const MAX_LIFETIME_SECONDS: i64 = 86_400;
const CLOCK_SKEW_SECONDS: u64 = 30;

#[derive(Debug, Deserialize, JsonSchema)]
struct Config {
    /// Environment variables holding the secrets (never the secrets themselves, so the
    /// configuration file can be committed) and the tokens' issuer.
    internal_secret_env: String,
    jwt_secret_env: String,
    jwt_issuer_env: String,
}

struct SignedIdentity {
    mac: Hmac<Sha256>,
    key: DecodingKey,
    validation: Validation,
}

fn env(name: &str) -> Result<String, BoxError> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

#[async_trait::async_trait]
impl Plugin for SignedIdentity {
    type Config = Config;

    async fn new(init: PluginInit<Self::Config>) -> Result<Self, BoxError> {
        let mac = Hmac::<Sha256>::new_from_slice(env(&init.config.internal_secret_env)?.as_bytes())?;
        let key = DecodingKey::from_secret(env(&init.config.jwt_secret_env)?.as_bytes());
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[env(&init.config.jwt_issuer_env)?]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.leeway = CLOCK_SKEW_SECONDS;
        Ok(SignedIdentity { mac, key, validation })
    }

    fn supergraph_service(&self, service: supergraph::BoxService) -> supergraph::BoxService {
        let key = self.key.clone();
        let validation = self.validation.clone();
        ServiceBuilder::new()
            .checkpoint(move |request: supergraph::Request| {
                let header = request.supergraph_request.headers().get(http::header::AUTHORIZATION);
                let Some(header) = header else { return Ok(ControlFlow::Continue(request)) };
                match header.to_str().ok().and_then(|h| h.strip_prefix("Bearer ")).and_then(|token| verify(&key, &validation, token)) {
                    Some(identity) => {
                        request.context.insert(IDENTITY, identity)?;
                        Ok(ControlFlow::Continue(request))
                    }
                    None => {
                        let error = graphql::Error::builder()
                            .message("The access token is invalid or expired")
                            .extension_code("UNAUTHENTICATED")
                            .build();
                        let response = supergraph::Response::error_builder()
                            .error(error)
                            .status_code(http::StatusCode::UNAUTHORIZED)
                            .context(request.context)
                            .build()?;
                        Ok(ControlFlow::Break(response))
                    }
                }
            })
            .service(service)
            .boxed()
    }

    fn subgraph_service(&self, name: &str, service: subgraph::BoxService) -> subgraph::BoxService {
        let mac = self.mac.clone();
        // Each header names the one subgraph it is for: the subgraphs refuse a header signed for another.
        let audience = name.to_string();
        ServiceBuilder::new()
            .map_request(move |mut request: subgraph::Request| {
                let identity = request.context.get::<_, Value>(IDENTITY).ok().flatten();
                let header = sign(&mac, &audience, identity);
                if let Ok(value) = http::HeaderValue::from_str(&header) {
                    request.subgraph_request.headers_mut().insert(HEADER, value);
                }
                request
            })
            .service(service)
            .boxed()
    }
}

/// The identity a valid token names, mapped as the storefront's gateway maps it: `sub` is the
/// user id (plain text, at most 128 characters), `roles` kept to customer/admin, customer by default.
fn verify(key: &DecodingKey, validation: &Validation, token: &str) -> Option<Value> {
    let claims = jsonwebtoken::decode::<Value>(token, key, validation).ok()?.claims;
    let (exp, iat) = (claims.get("exp")?.as_i64()?, claims.get("iat")?.as_i64()?);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    if exp - iat > MAX_LIFETIME_SECONDS || iat > now + CLOCK_SKEW_SECONDS as i64 {
        return None;
    }
    let user_id = claims.get("sub")?.as_str()?;
    if user_id.is_empty() || user_id.chars().count() > 128 || user_id.chars().any(char::is_control) {
        return None;
    }
    let mut roles: Vec<&str> = claims
        .get("roles")
        .and_then(Value::as_array)
        .map(|roles| roles.iter().filter_map(Value::as_str).filter(|role| *role == "customer" || *role == "admin").collect())
        .unwrap_or_default();
    if roles.is_empty() {
        roles.push("customer");
    }
    Some(json!({ "userId": user_id, "roles": roles }))
}

fn sign(mac: &Hmac<Sha256>, audience: &str, identity: Option<Value>) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    let mut claims = json!({ "aud": audience, "requestId": uuid::Uuid::new_v4().to_string(), "exp": (now + VALIDITY_MS) as u64 });
    if let Some(identity) = identity {
        claims["identity"] = identity;
    }
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = mac.clone();
    mac.update(payload.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("v1.{payload}.{signature}")
}

register_plugin!("storefront", "signed_identity", SignedIdentity);
