import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h, ref } from 'vue'

import ConfirmDialog from '../ConfirmDialog.vue'

// A page with a trigger button, to check focus goes back to it.
const Host = defineComponent({
  setup() {
    const open = ref(false)
    const confirmed = ref(0)
    return () =>
      h('div', [
        h('button', { id: 'trigger', onClick: () => (open.value = true) }, 'Delete'),
        h(ConfirmDialog, {
          open: open.value,
          'onUpdate:open': (v: boolean) => (open.value = v),
          title: 'Delete tag?',
          message: 'Tickets keep their other tags.',
          confirmLabel: 'Delete',
          danger: true,
          onConfirm: () => (confirmed.value += 1),
        }),
        h('output', { id: 'confirmed' }, String(confirmed.value)),
      ])
  },
})

describe('ConfirmDialog', () => {
  it('opens as a labelled modal dialog with focus on Cancel', async () => {
    const wrapper = mount(Host, { attachTo: document.body })
    const trigger = wrapper.get('#trigger')
    ;(trigger.element as HTMLElement).focus()
    await trigger.trigger('click')
    await flushPromises()

    const dialog = wrapper.get('[role="alertdialog"]')
    expect(dialog.attributes('aria-modal')).toBe('true')
    expect(wrapper.get(`#${dialog.attributes('aria-labelledby')}`).text()).toBe('Delete tag?')
    expect(wrapper.get(`#${dialog.attributes('aria-describedby')}`).text()).toContain('other tags')
    expect((document.activeElement as HTMLElement).textContent?.trim()).toBe('Cancel')
    wrapper.unmount()
  })

  it('closes on Escape and gives focus back to the trigger', async () => {
    const wrapper = mount(Host, { attachTo: document.body })
    ;(wrapper.get('#trigger').element as HTMLElement).focus()
    await wrapper.get('#trigger').trigger('click')
    await flushPromises()
    await wrapper.get('[role="alertdialog"]').trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(wrapper.find('[role="alertdialog"]').exists()).toBe(false)
    expect(document.activeElement).toBe(wrapper.get('#trigger').element)
    wrapper.unmount()
  })

  it('keeps Tab inside the dialog', async () => {
    const wrapper = mount(Host, { attachTo: document.body })
    await wrapper.get('#trigger').trigger('click')
    await flushPromises()
    const buttons = wrapper.get('[role="alertdialog"]').findAll('button')
    const [cancel, confirm] = [
      buttons[0]!.element as HTMLElement,
      buttons[1]!.element as HTMLElement,
    ]

    confirm.focus()
    await wrapper.get('[role="alertdialog"]').trigger('keydown', { key: 'Tab' })
    expect(document.activeElement).toBe(cancel)

    await wrapper.get('[role="alertdialog"]').trigger('keydown', { key: 'Tab', shiftKey: true })
    expect(document.activeElement).toBe(confirm)
    wrapper.unmount()
  })

  it('emits confirm from the confirm button', async () => {
    const wrapper = mount(Host, { attachTo: document.body })
    await wrapper.get('#trigger').trigger('click')
    await flushPromises()
    const confirm = wrapper.get('[role="alertdialog"]').findAll('button')[1]!
    expect(confirm.classes()).toContain('esc-btn-danger')
    await confirm.trigger('click')
    expect(wrapper.get('#confirmed').text()).toBe('1')
    wrapper.unmount()
  })
})
