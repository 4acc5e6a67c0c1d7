// Duration fields, with the description on the string branch so a bad value reads as
// "expected a duration such as 15s" rather than as a regular expression.
import { durationSchema } from '../duration.js';

export const duration = {
  description: durationSchema.description,
  anyOf: [durationSchema.anyOf[0], { ...durationSchema.anyOf[1], description: 'a duration such as 15s, 500ms or 1m30s' }],
};
