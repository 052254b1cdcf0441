"""What the assistant alone words, over the core in tools/text.py (`Message`, `t`, `render`, the catalogues
in prompts/locales/): the result's facts (text.result), the starter questions (text.faq), the long texts
under prompts/ (text.prompts) and a user's file name inside our Markdown (text.markdown)."""
