-- The correlator merges incidents that a finding links: the absorbed one keeps
-- its row (for the audit trail) with `merged_into` naming the survivor, whose
-- `merged_ids` lists what it absorbed. Live incident lists filter merged_into = ''.
ALTER TABLE incidents ADD COLUMN IF NOT EXISTS merged_into String DEFAULT '';
ALTER TABLE incidents ADD COLUMN IF NOT EXISTS merged_ids Array(String) DEFAULT [];
