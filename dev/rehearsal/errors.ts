import { ExpectedFailure } from "../../core/expected-failure.js";
/** A rehearsal that cannot start: bad arguments, an unreadable state, a stack it cannot stand in for. */
export class RehearsalError extends ExpectedFailure {}
