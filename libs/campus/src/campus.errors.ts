import { BusinessRuleError } from '@app/common';

export class InvalidUniversityError extends BusinessRuleError {
  constructor() {
    super('INVALID_UNIVERSITY', 'universityId must name an organisation of kind UNIVERSITY');
  }
}
