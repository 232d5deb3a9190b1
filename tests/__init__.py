"""The test suite: a regular package, so a dependency that installs its own top-level
`tests` package (textstat does) can never shadow `tests.core.helpers` and friends."""
