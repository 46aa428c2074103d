//! relman: a GitHub App that runs a team's release train.
