package store

// LoadMigrations exposes loadMigrations to the tests.
var LoadMigrations = loadMigrations
