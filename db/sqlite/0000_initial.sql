CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`event` text NOT NULL,
	`outcome` text NOT NULL,
	`request_id` text,
	`client_id` text,
	`subject` text,
	`audience` text,
	`scope` text,
	`jti` text,
	`reason` text,
	`data` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);--> statement-breakpoint
CREATE INDEX `audit_log_subject` ON `audit_log` (`subject`);--> statement-breakpoint
CREATE INDEX `audit_log_client` ON `audit_log` (`client_id`);--> statement-breakpoint
CREATE INDEX `audit_log_event` ON `audit_log` (`event`);--> statement-breakpoint
CREATE INDEX `audit_log_jti` ON `audit_log` (`jti`);--> statement-breakpoint
CREATE INDEX `audit_log_request` ON `audit_log` (`request_id`);--> statement-breakpoint
CREATE TABLE `revoked_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`revoked_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `saml_assertions` (
	`key` text PRIMARY KEY NOT NULL,
	`idp_entity_id` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `saml_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`idp_id` text NOT NULL,
	`binding_hash` text NOT NULL,
	`purpose` text NOT NULL,
	`target` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk_sealed` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`retired_at` integer,
	`publish_until` integer
);
--> statement-breakpoint
CREATE INDEX `signing_keys_status` ON `signing_keys` (`status`);--> statement-breakpoint
CREATE TABLE `used_client_assertions` (
	`key` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`expires_at` integer NOT NULL
);
