/* In-page part of bench/xpath_evaluators.py, run in Chromium: option B (openrosa-xpath-evaluator over
   an XML DOM, window.orxe from the esbuild bundle) on the translated case table and on the household
   form's binds, and option A (static/js/form-expr.js) on the household form's expressions. */

window.benchB = {
  cases(cases) {
    const evaluate = window.orxe();
    return cases.map((c) => {
      try {
        const doc = new DOMParser().parseFromString(c.xml, "text/xml");
        const context = doc.evaluate(c.context, doc, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
        const r = evaluate.evaluate(c.xpath, context || doc, null, XPathResult.ANY_TYPE, null);
        let value;
        if (r.resultType === XPathResult.NUMBER_TYPE) value = r.numberValue;
        else if (r.resultType === XPathResult.STRING_TYPE) value = r.stringValue;
        else if (r.resultType === XPathResult.BOOLEAN_TYPE) value = r.booleanValue;
        else if (typeof r.iterateNext === "function") { const node = r.iterateNext(); value = node ? node.textContent : ""; }
        else value = r.stringValue; /* ORXE's own result types (a date) */
        if (typeof value === "number" && Number.isNaN(value)) return { nan: true };
        if (typeof value === "number" && !Number.isFinite(value)) return { nonfinite: String(value) };
        return { value };
      } catch (error) {
        return { error: String(error).slice(0, 120) };
      }
    });
  },

  /* Every bind expression of the household form, for every node of its nodeset, `rounds` times. */
  household(xml, binds, rounds) {
    const evaluate = window.orxe();
    const doc = new DOMParser().parseFromString(xml, "text/xml");
    const jobs = [];
    for (const bind of binds) {
      const nodes = doc.evaluate(bind.nodeset, doc, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
      for (let i = 0; i < nodes.snapshotLength; i += 1) jobs.push([bind.expr, nodes.snapshotItem(i)]);
    }
    const results = jobs.map(([expr, node]) => evaluate.evaluate(expr, node, null, XPathResult.STRING_TYPE, null).stringValue);
    const start = performance.now();
    for (let round = 0; round < rounds; round += 1) {
      for (const [expr, node] of jobs) evaluate.evaluate(expr, node, null, XPathResult.ANY_TYPE, null);
    }
    return { jobs: jobs.length, ms: (performance.now() - start) / rounds, results };
  },
};

window.benchA = {
  async household(jobs, answers, rounds) {
    const { compileExpression, Context } = await import("/static/js/form-expr.js");
    const members = answers.members || [];
    const contexts = jobs.map((job) => (job.member === null
      ? new Context({ values: answers, dot: job.dot, today: "2025-06-15" })
      : new Context({ values: answers, member: members[job.member], positions: [job.member + 1], dot: job.dot, today: "2025-06-15" })));
    const compiled = jobs.map((job) => compileExpression(job.source));
    const results = compiled.map((expr, i) => expr.evaluate(contexts[i]));
    const start = performance.now();
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < compiled.length; i += 1) compiled[i].evaluate(contexts[i]);
    }
    return { jobs: jobs.length, ms: (performance.now() - start) / rounds, results: results.map(String) };
  },

  async formModel(schema, answers, rounds) {
    const { FormModel } = await import("/static/js/phone/formlogic.js");
    const model = new FormModel(schema);
    model.evaluate(answers);
    const start = performance.now();
    for (let round = 0; round < rounds; round += 1) model.evaluate(answers);
    return { ms: (performance.now() - start) / rounds };
  },
};
