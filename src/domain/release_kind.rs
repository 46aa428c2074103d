//! What kind of release a register row is: the train's regular release or an expedited one.
//! Its own module because the expedited releases and the register's statistics both name it.

use super::requirements::Environment;

/// What kind of release a register row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Regular,
    Warmfix,
    Hotfix,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Regular => "regular",
            Kind::Warmfix => "warmfix",
            Kind::Hotfix => "hotfix",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "regular" => Some(Kind::Regular),
            "warmfix" => Some(Kind::Warmfix),
            "hotfix" => Some(Kind::Hotfix),
            _ => None,
        }
    }

    /// `Hotfix` / `Warmfix` / `Release`, as titles start.
    pub fn title_word(self) -> &'static str {
        match self {
            Kind::Regular => "Release",
            Kind::Warmfix => "Warmfix",
            Kind::Hotfix => "Hotfix",
        }
    }

    /// The environment whose version an expedited release patches: production for a hotfix,
    /// staging for a warmfix.
    pub fn base_environment(self) -> Environment {
        match self {
            Kind::Hotfix => Environment::Production,
            Kind::Regular | Kind::Warmfix => Environment::Staging,
        }
    }
}
