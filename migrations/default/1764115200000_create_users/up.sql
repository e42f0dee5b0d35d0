-- One row per Kinde user. `id` is Kinde's user id (kp_…): the token's `sub`, which Hasura sees as
-- X-Hasura-User-Id, so permissions in metadata/ compare rows against it.
CREATE TABLE public.users (
  id        text PRIMARY KEY,
  name      text,
  last_seen timestamptz NOT NULL DEFAULT now()
);

-- Hasura connects as the least-privilege `hasura` role (infra/database.ts). It needs row access for
-- GraphQL, admin included; end users are limited further by the `user` role in metadata/.
-- No TRUNCATE, REFERENCES or TRIGGER, and no ownership: schema changes come from migrations.
GRANT SELECT, INSERT, UPDATE, DELETE ON public.users TO hasura;
