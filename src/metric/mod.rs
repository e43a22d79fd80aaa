//! Distance models.

pub mod great_circle;
