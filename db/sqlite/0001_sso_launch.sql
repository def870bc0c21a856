CREATE TABLE `launch_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`survey_id` text NOT NULL,
	`jti` text NOT NULL,
	`payload_sealed` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `service_secrets` (
	`name` text PRIMARY KEY NOT NULL,
	`sealed` text NOT NULL,
	`created_at` integer NOT NULL
);
