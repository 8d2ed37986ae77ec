-- Orthanc → pacs-ai-gateway auto-routing (docs/pacs-guide.md). Orthanc's configuration needs:
--   "DicomModalities": { "aigateway": [ "AIGATEWAY", "<gateway address>", 11112 ] },
--   "UserMetadata": { "AiGatewayRouted": 1024 },
--   "LuaScripts": [ "/etc/orthanc/route-to-ai-gateway.lua" ]
--
-- When a study is stable (no new instance for StableAge seconds), the instances not sent yet go to the gateway in
-- one association. Instances the gateway stored itself (its SRs, called in by AE title AIGATEWAY) are never sent
-- back, so the SR arriving does not send the study again; late images are sent on their own. Each decision is
-- one line in Orthanc's log ("ai-gateway route: …").

local MODALITY = 'aigateway'       -- the key in DicomModalities
local GATEWAY_AET = 'AIGATEWAY'    -- the gateway's dicom.aeTitle

function OnStableStudy(studyId, tags, metadata)
  local pending = {}
  for _, instance in ipairs(ParseJson(RestApiGet('/studies/' .. studyId .. '/instances'))) do
    local meta = ParseJson(RestApiGet('/instances/' .. instance['ID'] .. '/metadata?expand'))
    if meta['RemoteAET'] ~= GATEWAY_AET and meta['AiGatewayRouted'] == nil then
      table.insert(pending, instance['ID'])
    end
  end
  if #pending == 0 then
    print('ai-gateway route: study ' .. studyId .. ': nothing new to send')
    return
  end
  local ok, err = pcall(RestApiPost, '/modalities/' .. MODALITY .. '/store', DumpJson({ Resources = pending }, true))
  if not ok then
    -- Not marked: the next change to the study retries them, or send it by hand from Orthanc Explorer.
    print('ai-gateway route: study ' .. studyId .. ': C-STORE to ' .. MODALITY .. ' failed: ' .. tostring(err))
    return
  end
  for _, id in ipairs(pending) do
    RestApiPut('/instances/' .. id .. '/metadata/AiGatewayRouted', 'yes')
  end
  print('ai-gateway route: study ' .. studyId .. ': sent ' .. #pending .. ' instances to ' .. MODALITY)
end
