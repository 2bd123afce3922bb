//! Every `build()` rule rejects its bad configuration, and good ones build.

use sealed_session::CookieRuleError;

use crate::common::keyring;
use sealed_session::time::Duration;
use sealed_session::{ConfigError, SameSite, SessionConfig, SessionConfigBuilder};

fn b() -> SessionConfigBuilder {
    SessionConfig::builder(keyring())
}

fn err(builder: SessionConfigBuilder) -> ConfigError {
    builder.build().unwrap_err()
}

#[test]
fn defaults_build_and_are_secure() {
    let config = b().build().unwrap();
    assert_eq!(config.cookie_name(), "session");
    assert_eq!(config.size_limit(), 4093);
    let debug = format!("{config:?}");
    for expected in [
        "secure: true",
        "http_only: true",
        "same_site: Lax",
        "path: \"/\"",
        "domain: None",
    ] {
        assert!(debug.contains(expected), "{expected} in {debug}");
    }
}

#[test]
fn config_is_cheap_to_share_across_threads() {
    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    assert_send_sync_clone::<SessionConfig>();
}

#[test]
fn invalid_cookie_names() {
    for name in ["", "a b", "a;b", "a=b", "a,b", "\"q\"", "a\tb", "é", "a(b)"] {
        assert!(
            matches!(
                err(b().cookie_name(name)),
                ConfigError::Cookie(CookieRuleError::InvalidCookieName { .. })
            ),
            "{name:?}"
        );
    }
    for name in ["session", "__Host-s", "my.app_sid", "a!#$%&'*+-.^_`|~"] {
        assert!(b().cookie_name(name).build().is_ok(), "{name:?}");
    }
}

#[test]
fn host_prefix_rules() {
    assert_eq!(
        err(b().cookie_name("__Host-s").secure(false)),
        ConfigError::Cookie(CookieRuleError::PrefixRequiresSecure {
            name: "__Host-s".into()
        })
    );
    assert_eq!(
        err(b().cookie_name("__Host-s").domain("example.com")),
        ConfigError::Cookie(CookieRuleError::HostPrefixWithDomain {
            name: "__Host-s".into()
        })
    );
    assert_eq!(
        err(b().cookie_name("__Host-s").path("/app")),
        ConfigError::Cookie(CookieRuleError::HostPrefixPath {
            name: "__Host-s".into(),
            path: "/app".into()
        })
    );
    // Browsers match prefixes case-insensitively.
    assert!(matches!(
        err(b().cookie_name("__host-s").secure(false)),
        ConfigError::Cookie(CookieRuleError::PrefixRequiresSecure { .. })
    ));
}

#[test]
fn secure_prefix_requires_secure() {
    assert_eq!(
        err(b().cookie_name("__Secure-s").secure(false)),
        ConfigError::Cookie(CookieRuleError::PrefixRequiresSecure {
            name: "__Secure-s".into()
        })
    );
    assert!(
        b().cookie_name("__Secure-s")
            .domain("example.com")
            .path("/x")
            .build()
            .is_ok()
    );
}

#[test]
fn same_site_none_and_partitioned_require_secure() {
    assert_eq!(
        err(b().same_site(SameSite::None).secure(false)),
        ConfigError::Cookie(CookieRuleError::SameSiteNoneRequiresSecure)
    );
    assert_eq!(
        err(b().partitioned(true).secure(false)),
        ConfigError::Cookie(CookieRuleError::PartitionedRequiresSecure)
    );
    assert!(
        b().same_site(SameSite::None)
            .partitioned(true)
            .build()
            .is_ok()
    );
    assert!(
        b().same_site(SameSite::Strict)
            .secure(false)
            .build()
            .is_ok()
    );
}

#[test]
fn size_limits() {
    assert_eq!(
        err(b().size_limit(4097)),
        ConfigError::SizeLimitTooLarge {
            limit: 4097,
            max: 4096
        }
    );
    assert!(b().size_limit(4096).build().is_ok());
    assert!(matches!(
        err(b().size_limit(50)),
        ConfigError::SizeLimitTooSmall { .. }
    ));
}

#[test]
fn zero_or_negative_lifetimes() {
    for d in [
        Duration::ZERO,
        Duration::seconds(-5),
        Duration::milliseconds(900),
    ] {
        assert!(matches!(
            err(b().max_age(d)),
            ConfigError::NonPositiveLifetime {
                what: "max_age",
                ..
            }
        ));
        assert!(matches!(
            err(b().rolling(d)),
            ConfigError::NonPositiveLifetime { .. }
        ));
        assert!(matches!(
            err(b().absolute_timeout(d)),
            ConfigError::NonPositiveLifetime {
                what: "absolute_timeout",
                ..
            }
        ));
    }
}

#[test]
fn absolute_timeout_shorter_than_idle() {
    assert_eq!(
        err(b()
            .max_age(Duration::hours(2))
            .absolute_timeout(Duration::hours(1))),
        ConfigError::AbsoluteShorterThanIdle {
            absolute_secs: 3600,
            idle_secs: 7200
        }
    );
    assert_eq!(
        err(b()
            .rolling(Duration::hours(3))
            .absolute_timeout(Duration::hours(2))),
        ConfigError::AbsoluteShorterThanIdle {
            absolute_secs: 7200,
            idle_secs: 10800
        }
    );
    // Equal is allowed; with rolling, max_age does not matter.
    assert!(
        b().max_age(Duration::hours(1))
            .absolute_timeout(Duration::hours(1))
            .build()
            .is_ok()
    );
    assert!(
        b().max_age(Duration::days(30))
            .rolling(Duration::minutes(30))
            .absolute_timeout(Duration::hours(8))
            .build()
            .is_ok()
    );
}

#[test]
fn refresh_threshold_rules() {
    assert_eq!(
        err(b().refresh_after(Duration::minutes(1))),
        ConfigError::RefreshWithoutRolling
    );
    assert!(matches!(
        err(b()
            .rolling(Duration::minutes(5))
            .refresh_after(Duration::minutes(5))),
        ConfigError::RefreshNotShorterThanIdle { .. }
    ));
    assert!(
        b().rolling(Duration::minutes(5))
            .refresh_after(Duration::ZERO)
            .build()
            .is_ok()
    );
}

#[test]
fn path_and_domain_cannot_inject_attributes() {
    assert!(matches!(
        err(b().path("/; Domain=evil.com")),
        ConfigError::Cookie(CookieRuleError::InvalidPath { .. })
    ));
    assert!(matches!(
        err(b().path("app")),
        ConfigError::Cookie(CookieRuleError::InvalidPath { .. })
    ));
    assert!(matches!(
        err(b().path("/a\nb")),
        ConfigError::Cookie(CookieRuleError::InvalidPath { .. })
    ));
    assert!(matches!(
        err(b().domain("a.com; Secure")),
        ConfigError::Cookie(CookieRuleError::InvalidDomain { .. })
    ));
    assert!(matches!(
        err(b().domain("")),
        ConfigError::Cookie(CookieRuleError::InvalidDomain { .. })
    ));
}

#[test]
fn debug_never_shows_keys() {
    let key = crate::common::key(0x5a);
    let config = SessionConfig::builder(sealed_session::Keyring::new(key.clone()))
        .build()
        .unwrap();
    assert!(!format!("{config:?}").contains(&key.to_base64()));
}
