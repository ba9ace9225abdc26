import { JsonInputError, messageFromJson, protoRoot } from '../../src/ui/proto-json';

const type = (name: string): ReturnType<typeof protoRoot.lookupType> => protoRoot.lookupType(name);

test('request JSON takes enum values by their shorthand too, as the Temporal UI sends a schedule trigger', () => {
  const patch = (overlapPolicy: string): unknown =>
    messageFromJson(type('temporal.api.workflowservice.v1.PatchScheduleRequest'), { patch: { triggerImmediately: { overlapPolicy } } }).patch;
  expect(patch('Unspecified')).toEqual({ triggerImmediately: { overlapPolicy: 0 } });
  expect(patch('Skip')).toEqual({ triggerImmediately: { overlapPolicy: 1 } });
  expect(patch('BufferAll')).toEqual({ triggerImmediately: { overlapPolicy: 3 } });
  expect(patch('TerminateOther')).toEqual({ triggerImmediately: { overlapPolicy: 5 } });
  expect(patch('SCHEDULE_OVERLAP_POLICY_ALLOW_ALL')).toEqual({ triggerImmediately: { overlapPolicy: 6 } });
  expect(() => patch('Sometimes')).toThrow(JsonInputError);
  expect(() => patch('skip')).toThrow(JsonInputError);
});
