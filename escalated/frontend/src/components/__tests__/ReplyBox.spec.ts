import { router } from '@inertiajs/vue3'
import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { cannedResponses, file, macros } from '@/test/fixtures'

import ReplyBox from '../ReplyBox.vue'

type VisitOptions = {
  forceFormData?: boolean
  onSuccess?: (page: unknown) => unknown
  onError?: (errors: Record<string, string>) => unknown
  onFinish?: () => unknown
}

function chooseFiles(input: HTMLInputElement, files: File[]): void {
  Object.defineProperty(input, 'files', { value: files, configurable: true })
  input.dispatchEvent(new Event('change'))
}

describe('ReplyBox', () => {
  let post: ReturnType<typeof vi.spyOn>

  beforeEach(() => {
    post = vi.spyOn(router, 'post').mockImplementation(() => undefined)
  })

  it('has no internal-note toggle for customers', () => {
    const wrapper = mount(ReplyBox, { props: { action: '/support/tickets/ESC-1/reply/' } })
    expect(wrapper.find('input[type="radio"]').exists()).toBe(false)
    expect(wrapper.get('button[type="submit"]').text()).toBe('Send reply')
  })

  it('lets agents switch to an internal note', async () => {
    const wrapper = mount(ReplyBox, { props: { action: '/r/', canNote: true } })
    const [publicReply, note] = wrapper.findAll('input[type="radio"]')
    expect((publicReply!.element as HTMLInputElement).checked).toBe(true)
    await note!.setValue(true)
    expect(wrapper.get('label[for$="-body"]').text()).toContain('Internal note')
    expect(wrapper.get('button[type="submit"]').text()).toBe('Add note')
  })

  it('refuses to send an empty reply and says why', async () => {
    const wrapper = mount(ReplyBox, { props: { action: '/r/' } })
    await wrapper.get('form').trigger('submit')
    expect(post).not.toHaveBeenCalled()
    const textarea = wrapper.get('textarea')
    expect(textarea.attributes('aria-invalid')).toBe('true')
    const errorId = textarea.attributes('aria-describedby')!
    expect(wrapper.get(`#${errorId}`).text()).toBe('Write a reply first.')
  })

  it('posts multipart data Django reads: body, is_internal_note, attachments', async () => {
    const wrapper = mount(ReplyBox, {
      props: { action: '/support/agent/tickets/ESC-1/reply/', canNote: true },
    })
    await wrapper.findAll('input[type="radio"]')[1]!.setValue(true)
    await wrapper.get('textarea').setValue('Checked the logs.')
    chooseFiles(wrapper.get('input[type="file"]').element as HTMLInputElement, [
      file('log.txt', 10),
      file('shot.png', 20, 'image/png'),
    ])
    await wrapper.get('form').trigger('submit')

    expect(post).toHaveBeenCalledTimes(1)
    const [url, data, options] = post.mock.calls[0] as [string, FormData, VisitOptions]
    expect(url).toBe('/support/agent/tickets/ESC-1/reply/')
    expect(options.forceFormData).toBe(true)
    expect(data).toBeInstanceOf(FormData)
    expect(data.get('body')).toBe('Checked the logs.')
    expect(data.get('is_internal_note')).toBe('true')
    expect(data.getAll('attachments').map((f) => (f as File).name)).toEqual(['log.txt', 'shot.png'])
  })

  it('never sends a note flag for customers', async () => {
    const wrapper = mount(ReplyBox, { props: { action: '/r/' } })
    await wrapper.get('textarea').setValue('Hello')
    await wrapper.get('form').trigger('submit')
    const data = post.mock.calls[0]![1] as FormData
    expect(data.get('is_internal_note')).toBe('false')
  })

  it('clears the form and emits sent after success', async () => {
    post.mockImplementation((_url: string, _data: unknown, options: VisitOptions) => {
      void options.onSuccess?.({})
      options.onFinish?.()
    })
    const wrapper = mount(ReplyBox, { props: { action: '/r/' } })
    await wrapper.get('textarea').setValue('Thanks!')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.emitted('sent')).toHaveLength(1)
    expect((wrapper.get('textarea').element as HTMLTextAreaElement).value).toBe('')
  })

  it('shows server errors next to the fields', async () => {
    post.mockImplementation((_url: string, _data: unknown, options: VisitOptions) => {
      options.onError?.({
        body: 'Replies are limited to 10,000 characters.',
        attachments: 'File type not allowed.',
      })
      options.onFinish?.()
    })
    const wrapper = mount(ReplyBox, { props: { action: '/r/' } })
    await wrapper.get('textarea').setValue('x')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('Replies are limited to 10,000 characters.')
    expect(wrapper.get('[role="alert"]').text()).toContain('File type not allowed.')
    expect(wrapper.get('textarea').attributes('aria-invalid')).toBe('true')
  })

  describe('attachments', () => {
    it('enforces the size limit with a clear message', async () => {
      // Shared props in tests: max 3 files of 100 KB.
      const wrapper = mount(ReplyBox, { props: { action: '/r/' } })
      chooseFiles(wrapper.get('input[type="file"]').element as HTMLInputElement, [
        file('ok.txt', 1000),
        file('huge.zip', 200 * 1024),
      ])
      await flushPromises()
      expect(wrapper.findAll('li').map((li) => li.text())).toEqual([
        expect.stringContaining('ok.txt'),
      ])
      expect(wrapper.get('[role="alert"]').text()).toBe(
        '"huge.zip" is 200 KB; each file must be 100 KB or less.',
      )
      expect(wrapper.text()).toContain('Up to 3 files, 100 KB each.')
    })

    it('enforces the count limit and disables the input when full', async () => {
      const wrapper = mount(ReplyBox, { props: { action: '/r/', maxAttachments: 2 } })
      const input = wrapper.get('input[type="file"]')
      chooseFiles(input.element as HTMLInputElement, [file('a', 1), file('b', 1), file('c', 1)])
      await flushPromises()
      expect(wrapper.findAll('li')).toHaveLength(2)
      expect(wrapper.get('[role="alert"]').text()).toContain(
        '"c" was not added: you can attach up to 2 files.',
      )
      expect(input.attributes('disabled')).toBeDefined()

      await wrapper.get('button[aria-label="Remove a"]').trigger('click')
      expect(wrapper.findAll('li')).toHaveLength(1)
      expect(input.attributes('disabled')).toBeUndefined()
    })
  })

  it('inserts a canned response at the caret, filling placeholders', async () => {
    const wrapper = mount(ReplyBox, {
      attachTo: document.body,
      props: {
        action: '/r/',
        canNote: true,
        cannedResponses,
        placeholders: { requester_name: 'Sam' },
      },
    })
    const textarea = wrapper.get('textarea')
    await textarea.setValue('Bye.')
    ;(textarea.element as HTMLTextAreaElement).setSelectionRange(0, 0)

    const select = wrapper.get('select[id$="-canned"]')
    expect(select.findAll('optgroup').map((g) => g.attributes('label'))).toEqual([
      'Openers',
      'General',
    ])
    await select.setValue('1')
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Insert')!
      .trigger('click')
    await flushPromises()

    expect((textarea.element as HTMLTextAreaElement).value).toBe('Hello Sam,Bye.')
    expect((select.element as HTMLSelectElement).value).toBe('')
    expect(document.activeElement).toBe(textarea.element)
    wrapper.unmount()
  })

  it('emits apply-macro with the chosen macro', async () => {
    const wrapper = mount(ReplyBox, { props: { action: '/r/', canNote: true, macros } })
    const apply = wrapper.findAll('button').find((b) => b.text() === 'Apply')!
    expect(apply.attributes('disabled')).toBeDefined()
    await wrapper.get('select[id$="-macro"]').setValue('5')
    await apply.trigger('click')
    expect(wrapper.emitted('apply-macro')).toEqual([[5]])
  })
})
