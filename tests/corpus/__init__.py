"""Bad input everywhere (issue 7): one corpus of hostile inputs, fed to the CLI, the import
command and the HTTP API."""
