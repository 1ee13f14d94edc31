//! Reading timing reports into per-test samples; the format is detected from the content.
