/**
 * Conflicts the store detects and the services turn into API errors: why these live in the domain
 * is that "a name is taken" and "the task already runs" are rules of the product, enforced by the
 * store's constraints, and services must recognise them without depending on the store's code.
 */

/** A unique attribute (username, storage name) is already taken. */
export class UniqueTaken extends Error {
  constructor(readonly attribute: string) {
    super(`${attribute} is already taken`);
  }
}

/** The task already has an active execution (the one-active-execution rule). */
export class ActiveExecutionExists extends Error {
  constructor() {
    super('the task already has an active execution');
  }
}
