//! Browser tests: the web pages driven in headless Chromium through chromedriver.

mod auditor;
mod checkpoint;
mod employer;
mod frame;
mod harness;
mod official;
mod resident;
mod story;
mod venue;
