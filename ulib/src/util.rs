//! Small helpers shared by user programs (filled in with the utilities).
