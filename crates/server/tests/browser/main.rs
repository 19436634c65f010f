//! Browser tests: the web pages driven in headless Chromium through chromedriver.

mod harness;
mod frame;
