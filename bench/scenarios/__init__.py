"""The scenarios of issue 6, one module each kind; every one returns ``Result``s."""
