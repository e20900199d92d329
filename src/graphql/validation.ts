import { registerDecorator, validate, ValidationError, ValidationOptions } from 'class-validator';
import { Arg, ArgumentValidationError } from 'type-graphql';
import { ImageNameError, parseImageName } from '../shared/image-name';

/**
 * Validation of mutation inputs (`input: SomeInput!`).
 *
 * type-graphql validates an argument's object on its own, so class-validator names the
 * refused fields relative to it (`images`) and gives no index for an item of a list of
 * strings. {@link InputArg} validates the argument itself and reports every refused field
 * by its full path, which formatError turns into `invalidFields`:
 * `input.images[2]`, `input.env[0].name`, `input.maxTags`.
 *
 * Unlike type-graphql's default, missing properties are not skipped: an optional field needs
 * `@IsOptional()` (null or absent pass), and `@NotNull()` refuses an explicit null where
 * null has no meaning.
 */

/** A check of a whole list that names the items it refuses: `[index, reason]` pairs. */
export type ListCheck = (list: readonly unknown[]) => [index: number, reason: string][];

const LIST_CHECKS = new Map<string, ListCheck>();

/** Declares a property decorator from a {@link ListCheck}; refusals are reported per item (`field[i]`). */
export function listCheckDecorator(name: string, check: ListCheck, summary: string) {
  LIST_CHECKS.set(name, check);
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options,
        validator: {
          validate: (value: unknown) => !Array.isArray(value) || check(value).length === 0,
          defaultMessage: () => summary,
        },
      });
}

/** Every item is a Docker Hub image name (`nginx`, `library/nginx`, `org/name`). */
export const AreImageNames = listCheckDecorator(
  'areImageNames',
  (list) =>
    list.flatMap((item, i): [number, string][] => {
      if (typeof item !== 'string') return [[i, 'must be a string']];
      try {
        parseImageName(item);
        return [];
      } catch (e) {
        return [[i, e instanceof ImageNameError ? e.message : String(e)]];
      }
    }),
  'holds names that are not valid Docker Hub image names',
);

/** The value is a Docker Hub image name; the message says what is wrong with it. */
export function IsImageName(options?: ValidationOptions): PropertyDecorator {
  const problem = (value: unknown): string | undefined => {
    if (typeof value !== 'string') return 'must be a string';
    try {
      parseImageName(value);
      return undefined;
    } catch (e) {
      return e instanceof ImageNameError ? e.message : String(e);
    }
  };
  return (target, propertyName) =>
    registerDecorator({
      name: 'isImageName',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => problem(value) === undefined,
        defaultMessage: (args) => problem(args?.value) ?? 'must be a Docker Hub image name',
      },
    });
}

/** Refuses an explicit null; an absent field passes. */
export function NotNull(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notNull',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => value !== null,
        defaultMessage: () => 'must not be null: leave the field out to keep the current value',
      },
    });
}

/** Replaces each failed list check by one child error per refused item, recursively. */
function expandListChecks(errors: ValidationError[]): void {
  for (const e of errors) {
    if (e.children?.length) expandListChecks(e.children);
    if (!e.constraints || !Array.isArray(e.value)) continue;
    for (const name of Object.keys(e.constraints)) {
      const check = LIST_CHECKS.get(name);
      if (!check) continue;
      delete e.constraints[name];
      const items = check(e.value).map(([index, reason]) =>
        Object.assign(new ValidationError(), { property: String(index), value: e.value[index], constraints: { [name]: reason }, children: [] }),
      );
      e.children = [...(e.children ?? []), ...items];
    }
    if (Object.keys(e.constraints).length === 0) e.constraints = undefined;
  }
}

/** Validates an argument's value with class-validator; refusals are named `<argName>.<path>`. */
export async function validateInput(argName: string, value: unknown): Promise<void> {
  if (value === null || typeof value !== 'object') return;
  const errors = await validate(value as object, {
    skipMissingProperties: false,
    forbidUnknownValues: false,
    stopAtFirstError: false,
    validationError: { target: false, value: true },
  });
  if (errors.length === 0) return;
  expandListChecks(errors);
  throw new ArgumentValidationError([Object.assign(new ValidationError(), { property: argName, value: undefined, children: errors })]);
}

/** `@Arg('input', () => Type)` validated by {@link validateInput}: the one argument of a mutation. */
export function InputArg(type: new () => object, description: string): ReturnType<typeof Arg> {
  return Arg('input', () => type, { description, validateFn: (value) => validateInput('input', value) });
}
