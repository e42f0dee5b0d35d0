-- A few users so a fresh dev or preview stack has data to query (never applied on production).
-- Idempotent: a seed may run again, on every change under seeds/, without error or duplicates.
INSERT INTO public.users (id, name) VALUES
  ('kp_seed_ada', 'Ada Lovelace'),
  ('kp_seed_grace', 'Grace Hopper'),
  ('kp_seed_alan', 'Alan Turing')
ON CONFLICT (id) DO NOTHING;
