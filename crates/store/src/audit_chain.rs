//! audit_chain
