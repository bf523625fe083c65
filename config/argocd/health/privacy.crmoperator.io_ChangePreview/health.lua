-- Argo CD health check of ChangePreview (privacy.crmoperator.io), rendered by
-- hack/argocdhealth from internal/argocdhealth; see docs/gitops.md. Do not edit by hand.
--   Degraded     Stalled=True: a person must change the spec (or what the reason names)
--   Progressing  no status yet, a generation not observed yet, Ready not True
--                (Reconciling=True: the operator retries by itself), or being deleted
--   Healthy      Ready=True; findings for the DPO are listed in the message only
local findingWhenFalse = {}
local findingWhenTrue = {}

local function describe(c)
  local text = c.type .. " (" .. (c.reason or "") .. ")"
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local hs = {status = "Progressing", message = "Waiting for the operator to reconcile the object"}
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Being deleted"
  return hs
end
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.message = "Waiting for the operator to reconcile generation " .. generation
  return hs
end
if obj.status.conditions == nil then
  return hs
end

local byType = {}
for _, c in ipairs(obj.status.conditions) do
  byType[c.type] = c
end
local stalled = byType["Stalled"]
if stalled ~= nil and stalled.status == "True" then
  return {status = "Degraded", message = describe(stalled)}
end
local ready = byType["Ready"]
if ready == nil then
  return hs
end
if ready.status ~= "True" then
  hs.message = describe(ready)
  return hs
end

local findings = {}
for _, t in ipairs(findingWhenFalse) do
  local c = byType[t]
  if c ~= nil and c.status == "False" then
    table.insert(findings, describe(c))
  end
end
for _, t in ipairs(findingWhenTrue) do
  local c = byType[t]
  if c ~= nil and c.status == "True" then
    table.insert(findings, describe(c))
  end
end
hs.status = "Healthy"
if #findings > 0 then
  hs.message = "Findings for the DPO: " .. table.concat(findings, "; ")
else
  hs.message = ready.message or ""
end
return hs
