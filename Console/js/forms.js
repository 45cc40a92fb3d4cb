// Forms that show the server's error next to the field it names and never lose what was typed.
import { h } from './dom.js';
import { GraphQLFailure } from './api.js';

let formCount = 0;

/**
 * fields: [{name, label, type ('text'|'password'|'email'|'number'|'select'|'textarea'|'checkbox'|'checks'|'datetime-local'),
 *           options: [[value, label]], value, required, help, aliases: ['input.url', …]}]
 * onSubmit(values) may throw a GraphQLFailure; its "field: message" lands next to the field.
 */
export function form({ fields, submit = 'Save', onSubmit, reset = false, label }) {
  const id = `f${++formCount}`;
  const inputs = {};
  const errors = {};
  const formError = h('div.form-error', { role: 'alert', id: `${id}-error` });
  const button = h('button', { type: 'submit' }, submit);
  const el = h('form', { novalidate: true, 'aria-label': label || submit });

  for (const field of fields) {
    const fieldId = `${id}-${field.name}`;
    const error = h('div.field-error', { id: `${fieldId}-error`, role: 'alert' });
    errors[field.name] = error;
    let input;
    if (field.type === 'select') {
      input = h('select', { id: fieldId, name: field.name },
        field.options.map(([value, text]) => h('option', { value, selected: value === field.value }, text)));
    } else if (field.type === 'textarea') {
      input = h('textarea', { id: fieldId, name: field.name, rows: field.rows || 8 });
      input.value = field.value ?? '';
    } else if (field.type === 'checkbox') {
      input = h('input', { id: fieldId, name: field.name, type: 'checkbox', checked: field.value });
    } else if (field.type === 'checks') {
      input = h('fieldset.checks', { id: fieldId },
        h('legend', field.label),
        field.options.map(([value, text]) => h('label', h('input', {
          type: 'checkbox', name: field.name, value, checked: (field.value || []).includes(value),
        }), text)));
    } else {
      input = h('input', {
        id: fieldId, name: field.name, type: field.type || 'text', value: field.value ?? '',
        autocomplete: field.autocomplete, placeholder: field.placeholder, required: field.required,
      });
    }
    input.setAttribute('aria-describedby', `${fieldId}-error`);
    inputs[field.name] = input;
    if (field.type === 'checks') el.append(h('div.field', input, error));
    else if (field.type === 'checkbox') el.append(h('div.field', h('label', { for: fieldId }, input, ' ', field.label), error));
    else el.append(h('div.field', h('label', { for: fieldId }, field.label), input,
      field.help ? h('div.muted', field.help) : null, error));
  }
  el.append(h('div.row', button), formError);

  const values = () => {
    const out = {};
    for (const field of fields) {
      const input = inputs[field.name];
      if (field.type === 'checkbox') out[field.name] = input.checked;
      else if (field.type === 'checks') out[field.name] = [...input.querySelectorAll('input:checked')].map(i => i.value);
      else if (field.type === 'number') out[field.name] = input.value === '' ? null : Number(input.value);
      else out[field.name] = input.value;
    }
    return out;
  };

  const clear = () => {
    formError.textContent = '';
    for (const field of fields) {
      errors[field.name].textContent = '';
      inputs[field.name].removeAttribute('aria-invalid');
    }
  };

  /** Shows `message` next to the field it names (by name or alias), else under the form. */
  const show = (fieldName, message) => {
    const field = fields.find(f => f.name === fieldName || (f.aliases || []).includes(fieldName));
    if (field) {
      errors[field.name].textContent = message;
      inputs[field.name].setAttribute('aria-invalid', 'true');
      inputs[field.name].focus();
    } else {
      formError.textContent = message;
    }
  };

  el.addEventListener('submit', async event => {
    event.preventDefault();
    clear();
    button.disabled = true;
    try {
      await onSubmit(values(), { show });
      if (reset) el.reset();
    } catch (error) {
      if (error instanceof GraphQLFailure) show(error.field, error.message);
      else formError.textContent = error.message || String(error);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}
