package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// CreatePostgresDatabase creates the database name on the PostgreSQL server
// that base reaches (a key=value connection string without dbname, e.g.
// "host=127.0.0.1 port=5432 user=postgres sslmode=disable") and returns the
// connection string to it and a function that drops it, ending whatever is
// still connected: the test suite and the load command each run on a
// database of their own.
func CreatePostgresDatabase(base, name string) (dsn string, drop func() error, err error) {
	admin, err := gorm.Open(postgres.Open(base+" dbname=postgres"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "", nil, fmt.Errorf("store: connect to PostgreSQL: %w", err)
	}
	closeAdmin := func() error {
		sqlDB, err := admin.DB()
		if err != nil {
			return err
		}
		return sqlDB.Close()
	}
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		return "", nil, errors.Join(fmt.Errorf("store: create database %s: %w", name, err), closeAdmin())
	}
	drop = func() error {
		err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)").Error
		if err != nil {
			err = fmt.Errorf("store: drop database %s: %w", name, err)
		}
		return errors.Join(err, closeAdmin())
	}
	return base + " dbname=" + name, drop, nil
}

// PostgresSettings describes the PostgreSQL server: its version, then each
// of the settings names as "name=value", for the load command's header.
func (s *Store) PostgresSettings(ctx context.Context, names []string) ([]string, error) {
	var version string
	if err := s.reader.WithContext(ctx).Raw("SHOW server_version").Scan(&version).Error; err != nil {
		return nil, fmt.Errorf("store: server version: %w", err)
	}
	described := []string{"PostgreSQL " + version}
	for _, name := range names {
		var value string
		if err := s.reader.WithContext(ctx).Raw("SELECT current_setting(?)", name).Scan(&value).Error; err != nil {
			return nil, fmt.Errorf("store: setting %s: %w", name, err)
		}
		described = append(described, name+"="+value)
	}
	return described, nil
}

// CountDatabases counts the databases on the PostgreSQL server whose names
// are like pattern (LIKE's), for the load command's test, which checks that
// it drops the database it made.
func (s *Store) CountDatabases(ctx context.Context, pattern string) (int, error) {
	var n int
	if err := s.reader.WithContext(ctx).Raw("SELECT count(*) FROM pg_database WHERE datname LIKE ?", pattern).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count databases like %s: %w", pattern, err)
	}
	return n, nil
}
