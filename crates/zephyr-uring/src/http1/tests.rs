//! Specification tests of the HTTP/1.1 parser: one test per rule.
