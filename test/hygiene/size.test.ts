import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Small rooms: no src/ file over ~300 lines and no function over ~60 lines unless a comment right above it says
 * why (`long: <reason>`). A long function is usually several steps that want names; the reason is for the few that
 * are one linear sequence, or a factory whose body is just the module's closure scope.
 */
const root = join(import.meta.dirname, '..', '..');
const MAX_FUNCTION_LINES = 60;
const MAX_FILE_LINES = 320;

const source = readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !/\.(test|contract)\.tsx?$/.test(e.name))
  .map((e) => relative(root, join(e.parentPath, e.name)))
  .sort();

function lineCount(text: string): number {
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
}

/** A name for the function to report: its own, or the variable/property/call it is bound to. */
function nameOf(node: ts.FunctionLikeDeclaration, file: ts.SourceFile): string {
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name)
    return parent.name.getText(file);
  if (ts.isCallExpression(parent)) return `${parent.expression.getText(file).slice(0, 40)}(…)`;
  return '<anonymous>';
}

/**
 * The comments right above a function: its own leading comments and those of the nodes that start with it, up to
 * the statement, class member or object property that holds it (`const f = () => …`, `app.post('/', async (c) =>`).
 */
function commentsAbove(node: ts.Node, text: string): string {
  const found: string[] = [];
  for (let at: ts.Node | undefined = node; at && !ts.isSourceFile(at); at = at.parent) {
    for (const range of ts.getLeadingCommentRanges(text, at.getFullStart()) ?? [])
      found.push(text.slice(range.pos, range.end));
    if (ts.isStatement(at) || ts.isClassElement(at) || ts.isObjectLiteralElement(at)) break;
  }
  return found.join('\n');
}

function longFunctions(path: string): string[] {
  const text = readFileSync(join(root, path), 'utf8');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const fn = node as ts.FunctionLikeDeclaration;
      const first = file.getLineAndCharacterOfPosition(fn.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(fn.getEnd()).line;
      const lines = last - first + 1;
      if (lines > MAX_FUNCTION_LINES && !/\blong:\s*\S/.test(commentsAbove(fn, text)))
        out.push(`${path}:${first + 1} ${nameOf(fn, file)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

describe('small rooms', () => {
  it(`no src/ file over ${MAX_FILE_LINES} lines`, () => {
    const long = source.flatMap((f) => {
      const lines = lineCount(readFileSync(join(root, f), 'utf8'));
      return lines > MAX_FILE_LINES ? [`${f} (${lines} lines)`] : [];
    });
    expect(long).toEqual([]);
  });

  it(`no src/ function over ${MAX_FUNCTION_LINES} lines without a \`long:\` reason right above it`, () => {
    expect(source.flatMap(longFunctions)).toEqual([]);
  });
});
