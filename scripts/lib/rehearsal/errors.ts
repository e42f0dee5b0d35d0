/** A rehearsal that cannot start: bad arguments, an unreadable state, a stack it cannot stand in for. */
export class RehearsalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RehearsalError";
  }
}
