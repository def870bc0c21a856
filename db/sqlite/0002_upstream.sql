CREATE TABLE `upstream_auth_states` (
	`state_hash` text PRIMARY KEY NOT NULL,
	`upstream_id` text NOT NULL,
	`binding_hash` text NOT NULL,
	`key_id` text NOT NULL,
	`code_verifier_sealed` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `upstream_auth_states_expires` ON `upstream_auth_states` (`expires_at`);--> statement-breakpoint
CREATE TABLE `upstream_connections` (
	`upstream_id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`key_id` text NOT NULL,
	`access_token_sealed` text,
	`refresh_token_sealed` text,
	`access_expires_at` integer,
	`access_obtained_at` integer,
	`scope` text,
	`access_url` text,
	`seed_hash` text,
	`version` integer NOT NULL,
	`lease_owner` text,
	`lease_until` integer,
	`last_error` text,
	`last_error_at` integer,
	`connected_at` integer,
	`updated_at` integer NOT NULL
);
