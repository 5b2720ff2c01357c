// What a module graph loads when it is imported: every import form (static, side-effect,
// re-export, dynamic `import()`, `require()`), read with the TypeScript parser rather than a
// regular expression, so that `import 'node:fs'` or a `require` cannot slip through.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** One place a module is loaded from source code. */
export interface ModuleLoad {
  specifier: string;
  kind: 'import' | 'export' | 'dynamic import' | 'require';
  /** Run when the module is evaluated (not inside a function body). */
  topLevel: boolean;
}

function insideFunction(node: ts.Node): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n) || ts.isClassStaticBlockDeclaration(n)) return true;
  }
  return false;
}

/** Every load in a TypeScript source, type-only imports and `typeof import('x')` left out. */
export function moduleLoads(source: string, fileName = 'module.ts'): ModuleLoad[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const loads: ModuleLoad[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      // Erased by the compiler: `import type …`, or only `type` names and no default import.
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) loads.push({ specifier: node.moduleSpecifier.text, kind: 'import', topLevel: true });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      !node.isTypeOnly
    ) {
      loads.push({ specifier: node.moduleSpecifier.text, kind: 'export', topLevel: true });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      loads.push({
        specifier: ts.isStringLiteral(expr) ? expr.text : expr.getText(file),
        kind: 'require',
        topLevel: !insideFunction(node),
      });
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) {
        const arg = node.arguments[0];
        loads.push({
          specifier: arg && ts.isStringLiteralLike(arg) ? arg.text : (arg?.getText(file) ?? ''),
          kind: isImport ? 'dynamic import' : 'require',
          topLevel: !insideFunction(node),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return loads;
}

/** A load found in a file of the graph. */
export interface GraphLoad extends ModuleLoad {
  /** The file, relative to `root`. */
  file: string;
}

/**
 * Walks the graph evaluated when `entry` is imported: the relative imports and re-exports of
 * each file, and the workspace packages in `packages` (name → source entry). Loads inside
 * functions are listed but not followed: they run only when called.
 */
export function walkGraph(
  entry: string,
  packages: Record<string, string>,
  root: string,
): { files: string[]; loads: GraphLoad[] } {
  const seen = new Set<string>();
  const loads: GraphLoad[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const load of moduleLoads(readFileSync(file, 'utf8'), file)) {
      loads.push({ ...load, file: relative(root, file) });
      if (!load.topLevel || load.kind === 'require') continue;
      if (load.specifier.startsWith('.')) {
        const base = join(dirname(file), load.specifier.replace(/\.js$/, ''));
        const target = [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
        if (!target) throw new Error(`${file}: cannot resolve ${load.specifier}`);
        queue.push(target);
      } else if (packages[load.specifier]) {
        queue.push(packages[load.specifier]!);
      }
    }
  }
  return { files: [...seen].map((f) => relative(root, f)), loads };
}
